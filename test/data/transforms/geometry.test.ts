import { expect } from 'chai';
import { Random } from '../../../src/core/random';
import { Boxes } from '../../../src/structures/boxes';
import { BitmapMasks } from '../../../src/structures/masks';
import { build } from '../../../src/registry/container';
import { TRANSFORMS } from '../../../src/registry/registries';
import '../../../src/components';
import type { PipelineImage, Results, Transform } from '../../../src/data/transforms/results';
import { resizeImage } from '../../../src/data/transforms/image-ops';
import { targetSize } from '../../../src/data/transforms/resize';

const t = (cfg: Record<string, unknown>) => build(TRANSFORMS, cfg, { path: 'pipeline.0' }) as Transform;

/** An h×w BGR image whose pixel (y, x) channel k holds 10 * (y * w + x) + k (mod 256). */
function ramp(h: number, w: number): PipelineImage {
  const data = new Uint8Array(h * w * 3);
  for (let i = 0; i < h * w; i++) for (let k = 0; k < 3; k++) data[i * 3 + k] = (10 * i + k) % 256;
  return { data, height: h, width: w, channels: 3, order: 'bgr' };
}

function sample(h: number, w: number): Results {
  return {
    img: ramp(h, w),
    img_shape: [h, w],
    ori_shape: [h, w],
    gt_bboxes: Boxes.fromRows([[10, 10, 70, 30], [0, 0, 5, 5]].map((r) => r.map((v) => Math.min(v, w)))),
    gt_masks: new BitmapMasks(Uint8Array.from({ length: 2 * h * w }, (_, i) => (i % w < 2 ? 1 : 0)), 2, h, w),
    rng: new Random(3),
  };
}

describe('data transforms: Resize, RandomFlip, Pad', () => {
  it('keep_ratio follows mmcv rescale_size: scale by min(long/max, short/min), round int(x + 0.5)', () => {
    // 40x60 into (100, 50): min(100/60, 50/40) = 1.25 -> 50x75
    expect(targetSize(40, 60, { scale: [100, 50], keep_ratio: true })).to.deep.equal([50, 75]);
    // 30x47 into (64, 32): f = 32/30 -> h = int(32 + .5) = 32, w = int(50.13 + .5) = 50
    expect(targetSize(30, 47, { scale: [64, 32], keep_ratio: true })).to.deep.equal([32, 50]);
    // the same limits either way round: mmcv takes the long and short edges of scale
    expect(targetSize(30, 47, { scale: [32, 64], keep_ratio: true })).to.deep.equal([32, 50]);
    expect(targetSize(30, 47, { scale: [64, 32], keep_ratio: false })).to.deep.equal([32, 64]);
    expect(targetSize(30, 47, { scale_factor: 0.5, keep_ratio: false })).to.deep.equal([15, 24]);
  });

  it('Resize records (w, h) scale factors of the sizes produced and scales and clips the boxes', () => {
    const r = t({ type: 'Resize', scale: [64, 32], keep_ratio: true }).transform(sample(30, 47)) as Results;
    expect(r.img_shape).to.deep.equal([32, 50]);
    expect(r.scale_factor).to.deep.equal([50 / 47, 32 / 30]);
    expect([r.img!.height, r.img!.width]).to.deep.equal([32, 50]);
    const [b0] = r.gt_bboxes!.rows();
    expect(b0[0]).to.be.closeTo(10 * (50 / 47), 1e-5);
    expect(b0[1]).to.be.closeTo(10 * (32 / 30), 1e-5);
    expect(b0[2]).to.equal(50); // 47 * 50/47 clipped to the new width
    expect([r.gt_masks!.height, r.gt_masks!.width]).to.deep.equal([32, 50]);
  });

  it('bilinear resize samples pixel centres and clamps at the edges as OpenCV INTER_LINEAR', () => {
    const img: PipelineImage = { data: Uint8Array.from([0, 100]), height: 1, width: 2, channels: 1, order: 'gray' };
    expect([...resizeImage(img, 1, 4, 'bilinear').data]).to.deep.equal([0, 25, 75, 100]);
    expect([...resizeImage(img, 1, 4, 'nearest').data]).to.deep.equal([0, 0, 100, 100]);
  });

  it('Resize rejects scale and scale_factor together, and neither', () => {
    expect(() => t({ type: 'Resize', scale: [10, 10], scale_factor: 2 })).to.throw(/pipeline\.0\.scale: give exactly one/);
    expect(() => t({ type: 'Resize' })).to.throw(/exactly one/);
  });

  it('RandomFlip prob 1 mirrors image, boxes and masks; prob 0 records no flip', () => {
    const s = sample(4, 60);
    const r = t({ type: 'RandomFlip', prob: 1 }).transform(s) as Results;
    expect(r.flip).to.equal(true);
    expect(r.flip_direction).to.equal('horizontal');
    expect(r.gt_bboxes!.rows()[0]).to.deep.equal([0, 10, 50, 30]); // [10, 10, 60, 30] mirrored in width 60
    expect(r.gt_bboxes!.rows()[1]).to.deep.equal([55, 0, 60, 5]);
    // pixel (0, 0) now holds what (0, 59) held
    expect([...r.img!.data.subarray(0, 3)]).to.deep.equal([...s.img!.data.subarray(59 * 3, 60 * 3)]);
    expect(r.gt_masks!.mask(0)[59]).to.equal(1);
    expect(r.gt_masks!.mask(0)[0]).to.equal(0);
    const n = t({ type: 'RandomFlip', prob: 0 }).transform(sample(4, 60)) as Results;
    expect([n.flip, n.flip_direction]).to.deep.equal([false, null]);
  });

  it('RandomFlip draws from results.rng: a seed repeats the decisions, frequencies follow prob', () => {
    const flip = t({ type: 'RandomFlip', prob: [0.3, 0.2], direction: ['horizontal', 'vertical'] });
    const run = (seed: number) => {
      const rng = new Random(seed);
      return Array.from({ length: 2000 }, () => (flip.transform({ img: ramp(1, 1), img_shape: [1, 1], rng }) as Results).flip_direction);
    };
    const a = run(5);
    expect(run(5)).to.deep.equal(a);
    const share = (d: unknown) => a.filter((x) => x === d).length / a.length;
    expect(share('horizontal')).to.be.closeTo(0.3, 0.04);
    expect(share('vertical')).to.be.closeTo(0.2, 0.04);
    expect(share(null)).to.be.closeTo(0.5, 0.04);
    expect(() => flip.transform({ img: ramp(1, 1) })).to.throw(/needs results.rng/);
    expect(() => t({ type: 'RandomFlip', prob: [0.5] })).to.throw(/direction list of the same length/);
  });

  it('Pad pads bottom/right to the size divisor with pad_val and records pad_shape', () => {
    const s = sample(5, 7);
    const r = t({ type: 'Pad', size_divisor: 4, pad_val: { img: 3 } }).transform(s) as Results;
    expect(r.pad_shape).to.deep.equal([8, 8]);
    expect(r.img_shape).to.deep.equal([5, 7]);
    const img = r.img!;
    expect([img.height, img.width]).to.deep.equal([8, 8]);
    expect([...img.data.subarray(0, 3)]).to.deep.equal([0, 1, 2]);
    expect(img.data[(0 * 8 + 7) * 3]).to.equal(3); // right of the image
    expect(img.data[(5 * 8 + 0) * 3]).to.equal(3); // below it
    expect(img.data[(4 * 8 + 6) * 3]).to.equal(s.img!.data[(4 * 7 + 6) * 3]);
    expect([r.gt_masks!.height, r.gt_masks!.width]).to.deep.equal([8, 8]);
    expect(r.gt_masks!.mask(0)[7]).to.equal(0);
    const sq = t({ type: 'Pad', pad_to_square: true, pad_val: 0 }).transform(sample(5, 7)) as Results;
    expect(sq.pad_shape).to.deep.equal([7, 7]);
    expect(() => t({ type: 'Pad', size: [8, 8] })).to.throw(/pipeline\.0\.size/);
  });
});
