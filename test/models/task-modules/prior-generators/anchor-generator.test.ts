import { expect } from 'chai';
import { ConfigError } from '../../../../src/core/errors';
import * as F from '../../../../src/core/ops';
import { AnchorGenerator } from '../../../../src/models/task-modules/prior-generators/anchor-generator';
import { describeOnBackends } from '../../../core/helpers/backends';
import { buildTaskUtil, errorOf, expectAllClose } from '../helpers';

/** Anchors from the definition in float64: base anchor (ratio-major) + cell top-left. */
function referenceAnchors(stride: number, ratios: number[], scales: number[], h: number, w: number, offset = 0): number[] {
  const out: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (const r of ratios) {
        for (const s of scales) {
          const aw = (stride / Math.sqrt(r)) * s;
          const ah = stride * Math.sqrt(r) * s;
          const [cx, cy] = [offset * stride + x * stride, offset * stride + y * stride];
          out.push(cx - aw / 2, cy - ah / 2, cx + aw / 2, cy + ah / 2);
        }
      }
    }
  }
  return out;
}

describeOnBackends('AnchorGenerator', (h) => {
  const read = (t: F.IntOrPair | unknown) => Array.from(h.read(t as never).data as Float32Array);

  it("reproduces mmdetection's documented examples", () => {
    const g = new AnchorGenerator({ strides: [16], ratios: [1], scales: [1], base_sizes: [9] });
    h.run(() => {
      expect(read(g.gridPriors([[2, 2]])[0])).to.deep.equal([-4.5, -4.5, 4.5, 4.5, 11.5, -4.5, 20.5, 4.5, -4.5, 11.5, 4.5, 20.5, 11.5, 11.5, 20.5, 20.5]);
      const two = new AnchorGenerator({ strides: [16, 32], ratios: [1], scales: [1], base_sizes: [9, 18] }).gridPriors([[2, 2], [1, 1]]);
      expect(two[1].shape).to.deep.equal([1, 4]);
      expect(read(two[1])).to.deep.equal([-9, -9, 9, 9]);
    });
  });

  it('RPN anchors (stride 4, ratios 0.5/1/2, scale 8) on a 2x3 level: shapes, flat order, values', () => {
    const g = new AnchorGenerator({ strides: [4, 8], ratios: [0.5, 1, 2], scales: [8] });
    expect(g.numBasePriors).to.deep.equal([3, 3]);
    h.run(() => {
      const [l0] = g.gridPriors([[2, 3], [1, 2]]);
      expect(l0.shape).to.deep.equal([18, 4]);
      const v = read(l0);
      // cell (x = 2, y = 1), ratio 1: centre (8, 4), side 32 — index (1 * 3 + 2) * 3 + 1
      expect(v.slice(16 * 4, 17 * 4)).to.deep.equal([-8, -12, 24, 20]);
      // ratio 0.5 at (0, 0): w = 4 * sqrt(2) * 8 = 45.2548, h = 22.6274 (float32 values of mmdetection)
      expectAllClose(v.slice(0, 4), [-22.627417, -11.313708, 22.627417, 11.313708], 1e-5, 0);
      expectAllClose(v, referenceAnchors(4, [0.5, 1, 2], [8], 2, 3), 2e-5, 1e-6);
    });
  });

  it('octave scales (RetinaNet), scale_major, center_offset and centers', () => {
    const octave = new AnchorGenerator({ strides: [8], ratios: [0.5, 1, 2], octave_base_scale: 4, scales_per_octave: 3 });
    expectAllClose(octave.scales, [4, 4 * 2 ** (1 / 3), 4 * 2 ** (2 / 3)], 0, 1e-7);
    expect(octave.numBasePriors).to.deep.equal([9]);
    // ratio-major: rows 0..2 are ratio 0.5 at scales 4, 5.04, 6.35
    const w = (k: number, g = octave) => g.baseAnchors[0][4 * k + 2] - g.baseAnchors[0][4 * k];
    expectAllClose([w(0), w(1), w(3)], [8 * Math.SQRT2 * 4, 8 * Math.SQRT2 * 4 * 2 ** (1 / 3), 8 * 4], 1e-4, 0);
    const scaleMajorOff = new AnchorGenerator({ strides: [8], ratios: [0.5, 1, 2], octave_base_scale: 4, scales_per_octave: 3, scale_major: false });
    expectAllClose([w(0, scaleMajorOff), w(1, scaleMajorOff)], [8 * Math.SQRT2 * 4, 8 * 4], 1e-4, 0);
    const offset = new AnchorGenerator({ strides: [16], ratios: [1], scales: [1], center_offset: 0.5 });
    expect(Array.from(offset.baseAnchors[0])).to.deep.equal([0, 0, 16, 16]);
    const centred = new AnchorGenerator({ strides: [16], ratios: [1], scales: [1], centers: [[3, 5]] });
    expect(Array.from(centred.baseAnchors[0])).to.deep.equal([-5, -3, 11, 13]);
  });

  it('(w, h) strides: x steps by stride_w, y by stride_h, base size min(stride)', () => {
    const g = new AnchorGenerator({ strides: [[8, 4]], ratios: [1], scales: [1] });
    expect(g.baseSizes).to.deep.equal([4]);
    h.run(() => expect(read(g.gridPriors([[2, 2]])[0])).to.deep.equal([-2, -2, 2, 2, 6, -2, 10, 2, -2, 2, 2, 6, 6, 2, 10, 6]));
  });

  it('valid flags: cells inside ceil(pad / stride), repeated per anchor', () => {
    const g = new AnchorGenerator({ strides: [4, 8], ratios: [0.5, 1], scales: [8] });
    const [l0, l1] = g.validFlags([[3, 4], [2, 2]], [9, 10]);
    // level 0: valid 3 rows (ceil(9/4)) x 3 columns (ceil(10/4)) of a 3x4 grid
    const cell = (y: number, x: number) => l0[(y * 4 + x) * 2];
    expect(l0.length).to.equal(24);
    expect([cell(0, 2), cell(2, 2), cell(0, 3), cell(2, 3)]).to.deep.equal([1, 1, 0, 0]);
    expect(l0.reduce((a, b) => a + b, 0)).to.equal(18);
    expect(Array.from(l1)).to.deep.equal([1, 1, 1, 1, 1, 1, 1, 1]); // min(ceil(9/8), 2) = 2
  });

  it('empty level and wrong level count', () => {
    const g = new AnchorGenerator({ strides: [4], ratios: [1], scales: [8] });
    h.run(() => expect(g.gridPriors([[0, 5]])[0].shape).to.deep.equal([0, 4]));
    expect(errorOf(() => g.gridPriors([[1, 1], [1, 1]])).message).to.match(/1 levels but got 2/);
  });
});

describe('AnchorGenerator options', () => {
  it('builds from an mmdetection config through TASK_UTILS', () => {
    const g = buildTaskUtil<AnchorGenerator>({ type: 'AnchorGenerator', scales: [8], ratios: [0.5, 1.0, 2.0], strides: [4, 8, 16, 32, 64] });
    expect(g).to.be.instanceOf(AnchorGenerator);
    expect(g.numLevels).to.equal(5);
  });

  it('rejects contradictory or unsupported options with the config path', () => {
    const cfg = { type: 'AnchorGenerator', ratios: [1], strides: [4] };
    const both = errorOf(() => buildTaskUtil({ ...cfg, scales: [8], octave_base_scale: 4, scales_per_octave: 3 }, 'model.rpn_head.anchor_generator'));
    expect(both).to.be.instanceOf(ConfigError);
    expect(both.message).to.equal('model.rpn_head.anchor_generator.scales: give either scales or octave_base_scale with scales_per_octave');
    expect(errorOf(() => buildTaskUtil({ ...cfg })).message).to.match(/scales/);
    expect(errorOf(() => buildTaskUtil({ ...cfg, scales: [8], center_offset: 0.5, centers: [[0, 0]] })).message).to.match(/centers cannot be set/);
    expect(errorOf(() => buildTaskUtil({ ...cfg, scales: [8], use_box_type: true })).message).to.match(/use_box_type/);
    expect(errorOf(() => buildTaskUtil({ ...cfg, scales: [8], center_offset: 2 })).message).to.match(/center_offset/);
    expect(errorOf(() => buildTaskUtil({ ...cfg, scales: [8], scale: 3 })).message).to.match(/has no option 'scale'/);
  });
});
