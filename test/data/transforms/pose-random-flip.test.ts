import { expect } from 'chai';
import { Random } from '../../../src/core/random';
import { build } from '../../../src/registry/container';
import { TRANSFORMS } from '../../../src/registry/registries';
import { PoseRandomFlip } from '../../../src/data/transforms/pose-random-flip';
import { RandomFlip } from '../../../src/data/transforms/random-flip';
import type { PoseResults } from '../../../src/data/transforms/pose-results';
import { COCO_FLIP_INDICES, poseSample, pt } from './helpers/pose-sample';

describe('RandomFlip (mmpose)', () => {
  it('is the bare RandomFlip under default_scope mmpose, mmdet\'s without', () => {
    expect(pt({ type: 'RandomFlip' })).to.be.instanceOf(PoseRandomFlip);
    expect(build(TRANSFORMS, { type: 'RandomFlip', prob: 0.5 }, { path: 'p' })).to.be.instanceOf(RandomFlip);
  });

  it('prob 1, width 80: x → 79 - x for box, centre and keypoints; left and right swap through flip_indices', () => {
    const s: PoseResults = { ...poseSample(), bbox_center: [[30, 60]] };
    const r = pt({ type: 'RandomFlip', prob: 1 }).transform(s) as PoseResults;
    expect([r.flip, r.flip_direction]).to.deep.equal([true, 'horizontal']);
    expect(r.bbox).to.deep.equal([[29, 20, 69, 100]]);
    expect(r.bbox_center).to.deep.equal([[49, 60]]);
    // keypoint 1 (left eye) now holds the mirrored right eye (2, 5): (79 - 2, 5)
    expect(r.keypoints![0][0]).to.deep.equal([79, 1]);
    expect(r.keypoints![0][1]).to.deep.equal([77, 5]);
    expect(r.keypoints![0][2]).to.deep.equal([78, 3]);
    expect(r.keypoints![0][16]).to.deep.equal([79 - 15, 31]);
    // pixel (0, 0) holds what (0, 79) held
    expect([...r.img!.data.subarray(0, 3)]).to.deep.equal([...s.img!.data.subarray(79 * 3, 80 * 3)]);
    const vis = { ...poseSample(), keypoints_visible: [COCO_FLIP_INDICES.map((_, k) => (k === 1 ? 0 : 1))] };
    const rv = pt({ type: 'RandomFlip', prob: 1 }).transform(vis) as PoseResults;
    expect(rv.keypoints_visible![0].slice(0, 3)).to.deep.equal([1, 1, 0]);
  });

  it('a flipped keypoint lands on the mirrored pixel it marked', () => {
    const s = poseSample(6, 9, 3);
    const at = (img: PoseResults['img'], x: number, y: number) => [...img!.data.subarray((y * 9 + x) * 3, (y * 9 + x) * 3 + 3)];
    for (const dir of ['horizontal', 'vertical', 'diagonal']) {
      const r = pt({ type: 'RandomFlip', prob: 1, direction: dir }).transform({ ...s, flip_indices: [0, 1, 2] }) as PoseResults;
      s.keypoints![0].forEach(([x, y], k) => expect(at(r.img, r.keypoints![0][k][0], r.keypoints![0][k][1]), `${dir} keypoint ${k}`).to.deep.equal(at(s.img, x, y)));
    }
  });

  it('vertical flips y → h - 1 - y with the swap; diagonal both without swapping', () => {
    const v = pt({ type: 'RandomFlip', prob: 1, direction: 'vertical' }).transform(poseSample()) as PoseResults;
    expect(v.bbox).to.deep.equal([[10, 19, 50, 99]]);
    expect(v.keypoints![0][1]).to.deep.equal([2, 119 - 5]);
    const d = pt({ type: 'RandomFlip', prob: 1, direction: 'diagonal' }).transform(poseSample()) as PoseResults;
    expect(d.bbox).to.deep.equal([[29, 19, 69, 99]]);
    expect(d.keypoints![0][1]).to.deep.equal([78, 116]);
  });

  it('draws from results.rng with prob 0.5 by default; prob 0 never flips', () => {
    const flip = pt({ type: 'RandomFlip' });
    const rng = new Random(9);
    const flips = Array.from({ length: 1000 }, () => (flip.transform({ ...poseSample(4, 4, 3), rng }) as PoseResults).flip);
    expect(flips.filter(Boolean).length / 1000).to.be.closeTo(0.5, 0.05);
    expect((pt({ type: 'RandomFlip', prob: 0 }).transform(poseSample()) as PoseResults).flip).to.equal(false);
    expect(() => flip.transform({ ...poseSample(), rng: undefined })).to.throw(/needs results\.rng/);
  });
});
