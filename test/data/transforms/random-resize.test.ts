import { expect } from 'chai';
import { Random } from '../../../src/core/random';
import type { Results } from '../../../src/data/transforms/results';
import { t } from './helpers/sample';
import { labelsOf, segSample } from './helpers/seg-sample';

describe("RandomResize (mmcv's)", () => {
  it('one scale with ratio_range: (int(w r), int(h r)) with r = u (hi - lo) + lo, u from results.rng; keep_ratio fits it', () => {
    const rr = t({ type: 'RandomResize', scale: [64, 32], ratio_range: [0.5, 2.0], keep_ratio: true });
    const s = segSample(10, 16, 7);
    const u = new Random(7).next();
    const ratio = u * 1.5 + 0.5;
    const scale = [Math.trunc(64 * ratio), Math.trunc(32 * ratio)];
    const r = rr.transform(s) as Results;
    expect(r.scale).to.deep.equal(scale);
    // keep_ratio: f = min(max(scale) / 16, min(scale) / 10)
    const f = Math.min(Math.max(...scale) / 16, Math.min(...scale) / 10);
    const want = [Math.trunc(10 * f + 0.5), Math.trunc(16 * f + 0.5)];
    expect(r.img_shape).to.deep.equal(want);
    expect([r.gt_seg_map!.height, r.gt_seg_map!.width]).to.deep.equal(want);
    expect(labelsOf(r.gt_seg_map!)).to.deep.equal([0, 1, 2, 255]);
    expect(r.keep_ratio).to.equal(true);
  });

  it('two bounds draw each edge among the integers between them; the stream is seeded', () => {
    const rr = t({ type: 'RandomResize', scale: [[10, 6], [12, 8]] });
    const sizes = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const r = rr.transform(segSample(4, 4, seed)) as Results;
      const [h, w] = r.img_shape!;
      expect(w).to.be.within(10, 12);
      expect(h).to.be.within(6, 8);
      sizes.add(`${w}x${h}`);
    }
    expect(sizes.size).to.equal(9);
    const a = (rr.transform(segSample(4, 4, 5)) as Results).scale;
    expect((rr.transform(segSample(4, 4, 5)) as Results).scale).to.deep.equal(a);
  });

  it('refuses one scale without ratio_range, naming the option', () => {
    expect(() => t({ type: 'RandomResize', scale: [64, 32] })).to.throw(/^pipeline\.0\.ratio_range: one scale/);
    expect(() => t({ type: 'RandomResize', scale: [64, 32], ratio_range: [2, 1] })).to.throw(/pipeline\.0\.ratio_range: min 2 is above max 1/);
  });
});
