import { expect } from 'chai';
import { Random } from '../../../src/core/random';
import type { Results } from '../../../src/data/transforms/results';
import { sample, t } from './helpers/sample';

describe("RandomChoiceResize (mmcv's)", () => {
  const scales = [[40, 20], [60, 30], [16, 8]];

  it('draws scale_idx = randint(len(scales)) from results.rng and resizes to that scale (keep_ratio as Resize)', () => {
    const rcr = t({ type: 'RandomChoiceResize', scales, keep_ratio: true });
    for (let seed = 0; seed < 20; seed++) {
      const s = { ...sample(20, 80), rng: new Random(seed) };
      const idx = new Random(seed).int(3);
      const r = rcr.transform(s) as Results;
      expect(r.scale_idx).to.equal(idx);
      // 20×80 kept in ratio inside (w, h): f = min(max(w, h) / 80, min(w, h) / 20)
      const [sw, sh] = scales[idx];
      const f = Math.min(Math.max(sw, sh) / 80, Math.min(sw, sh) / 20);
      expect(r.img_shape).to.deep.equal([Math.trunc(20 * f + 0.5), Math.trunc(80 * f + 0.5)]);
      // scaled by the size ratios (exact here), y2 = 30 clipped to the new height 20 f
      r.gt_bboxes!.rows()[0].forEach((v, k) => expect(v).to.be.closeTo([10 * f, 10 * f, 70 * f, 20 * f][k], 1e-5));
      expect([r.gt_masks!.height, r.gt_masks!.width]).to.deep.equal(r.img_shape);
    }
  });

  it('without keep_ratio the image takes the scale exactly; every scale is drawn; one (w, h) alone is one scale', () => {
    const rcr = t({ type: 'RandomChoiceResize', scales });
    const seen = new Set<number>();
    for (let seed = 0; seed < 30; seed++) {
      const r = rcr.transform({ ...sample(20, 80), rng: new Random(seed) }) as Results;
      seen.add(r.scale_idx as number);
      const [w, h] = scales[r.scale_idx as number];
      expect(r.img_shape).to.deep.equal([h, w]);
    }
    expect([...seen].sort()).to.deep.equal([0, 1, 2]);
    const one = t({ type: 'RandomChoiceResize', scales: [30, 12] }).transform({ ...sample(20, 80), rng: new Random(1) }) as Results;
    expect([one.scale_idx, one.img_shape]).to.deep.equal([0, [12, 30]]);
    expect(() => t({ type: 'RandomChoiceResize', scales: [[1, 2]] }).transform({ ...sample(4, 4), rng: undefined })).to.throw(/needs results\.rng/);
  });
});
