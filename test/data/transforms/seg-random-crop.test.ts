import { expect } from 'chai';
import { Random } from '../../../src/core/random';
import type { Results } from '../../../src/data/transforms/results';
import type { SegRandomCrop } from '../../../src/data/transforms/seg-random-crop';
import { withDefaultScope } from '../../../src/registry/registry';
import { t } from './helpers/sample';
import { segMap, segSample } from './helpers/seg-sample';

const crop = (cfg: Record<string, unknown>) => withDefaultScope('mmseg', () => t({ type: 'RandomCrop', ...cfg })) as unknown as SegRandomCrop;

/** The x offsets of the first 11 windows a 1x12 image gives for a 1x4 crop (each window draws y, then x). */
function windows(seed: number): number[] {
  const g = new Random(seed);
  return Array.from({ length: 11 }, () => {
    g.int(1);
    return g.int(9);
  });
}

describe("mmseg's RandomCrop", () => {
  it('cuts a crop_size (h, w) window at offsets drawn in [0, H - h] x [0, W - w] from results.rng', () => {
    const c = crop({ crop_size: [4, 3] });
    const s = segSample(10, 8, 11);
    const g = new Random(11);
    const [dy, dx] = [g.int(10 - 4 + 1), g.int(8 - 3 + 1)];
    const r = c.transform(s) as Results;
    expect(r.img_shape).to.deep.equal([4, 3]);
    expect([r.gt_seg_map!.height, r.gt_seg_map!.width]).to.deep.equal([4, 3]);
    // image pixel (y, x) holds 10 * (y * 8 + x) + channel of the source: (dy, dx) is the corner
    expect(r.img!.data[0]).to.equal((10 * (dy * 8 + dx)) % 256);
    expect([...r.gt_seg_map!.data.subarray(0, 3)]).to.deep.equal(dy === 0 ? [255, 255, 255] : [dx % 3, (dx + 1) % 3, (dx + 2) % 3]);
    const offsets = new Set<string>();
    for (let seed = 0; seed < 400; seed++) {
      const box = c.cropBox(10, 8, undefined, new Random(seed));
      expect(box[0]).to.be.within(0, 6);
      expect(box[2]).to.be.within(0, 5);
      expect([box[1] - box[0], box[3] - box[2]]).to.deep.equal([4, 3]);
      offsets.add(`${box[0]},${box[2]}`);
    }
    expect(offsets.size).to.equal(7 * 6);
  });

  it('a side smaller than the window is kept whole', () => {
    const r = crop({ crop_size: 6 }).transform(segSample(4, 9)) as Results;
    expect(r.img_shape).to.deep.equal([4, 6]);
  });

  it('cat_max_ratio redraws windows that one class dominates or that hold one class, at most 10 times', () => {
    // left 6 columns class 1, one column class 2 at x = 6, rest ignore (255)
    const seg = segMap(1, 12, (_, x) => (x < 6 ? 1 : x === 6 ? 2 : 255));
    const c = crop({ crop_size: [1, 4], cat_max_ratio: 0.75 });
    for (let seed = 0; seed < 50; seed++) {
      const [, , x1] = c.cropBox(1, 12, seg, new Random(seed));
      // accepted: x1 = 4 (1,1,2,ignore: 2/3) and 5 (1,2: 1/2); x1 = 3 (1,1,1,2: 0.75, not below) and 6 (only class 2) are not
      const draws = windows(seed);
      const accepted = draws.slice(0, 10).findIndex((x) => x === 4 || x === 5);
      expect(x1).to.equal(accepted >= 0 ? draws[accepted] : draws[10]);
    }
    // a map of one class is never accepted: the 11th draw is kept
    const one = segMap(1, 12, () => 3);
    expect(c.cropBox(1, 12, one, new Random(9))[2]).to.equal(windows(9)[10]);
    expect(() => c.cropBox(1, 12, undefined, new Random(1))).to.throw(/needs gt_seg_map/);
  });
});
