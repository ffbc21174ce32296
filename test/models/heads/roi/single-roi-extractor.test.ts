import { expect } from 'chai';
import { build } from '../../../../src/registry/container';
import { HEADS } from '../../../../src/registry/registries';
import { SingleRoIExtractor } from '../../../../src/models/heads/roi/single-roi-extractor';
import { describeOnBackends } from '../../../core/helpers/backends';
import '../../../../src/components';

const cfg = (extra: Record<string, unknown> = {}) => ({
  type: 'SingleRoIExtractor',
  roi_layer: { type: 'RoIAlign', output_size: 2, sampling_ratio: 0 },
  out_channels: 1,
  featmap_strides: [4, 8, 16, 32],
  ...extra,
});

describeOnBackends('SingleRoIExtractor', (h) => {
  it('maps RoIs to levels as mmdetection (finest_scale 56, hand values)', function () {
    const ex = build(HEADS, cfg(), { path: 'roi' }) as SingleRoIExtractor;
    // sqrt(w * h): 50 → 0 (below 112), 111 → 0, 112 → 1, 56 (112 x 28) → 0, 223.6 (200 x 250) → 1,
    // 224 → 2, 448 → 3, 1000 → 3 (clamped)
    const sides = [[50, 50], [111, 111], [112, 112], [112, 28], [200, 250], [224, 224], [448, 448], [1000, 1000]];
    const rois = sides.flatMap(([w, hh]) => [0, 3, 5, 3 + w, 5 + hh]);
    const lvl = h.run(() => h.read(ex.mapRoiLevels(h.f32([sides.length, 5], rois))));
    expect(Array.from(lvl.data as Int32Array)).to.deep.equal([0, 0, 1, 0, 1, 2, 3, 3]);
  });

  it('pools each RoI from its own level (a constant map per level gives the level back)', function () {
    const ex = build(HEADS, cfg({ finest_scale: 4 }), { path: 'roi' }) as SingleRoIExtractor;
    const sizes = [64, 32, 16, 8];
    const out = h.run(() => {
      const feats = sizes.map((s, l) => h.f32([1, 1, s, s], new Float32Array(s * s).fill(l + 1)));
      // sides 4, 8, 16, 64 with finest_scale 4 → levels 0, 1, 2, 3
      const rois = h.f32([4, 5], [0, 10, 10, 14, 14, 0, 10, 10, 18, 18, 0, 20, 20, 36, 36, 0, 100, 100, 164, 164]);
      return h.read(ex.forward(feats, rois));
    });
    expect(out.shape).to.deep.equal([4, 1, 2, 2]);
    expect(Array.from(out.data as Float32Array)).to.deep.equal([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4]);
  });

  it('rejects a roi_layer other than RoIAlign with the config path', function () {
    expect(() => build(HEADS, cfg({ roi_layer: { type: 'RoIPool', output_size: 7 } }), { path: 'model.roi_head.bbox_roi_extractor' })).to.throw(
      /model\.roi_head\.bbox_roi_extractor\.roi_layer\.type/,
    );
  });
});
