import { expect } from 'chai';
import { regressDeltas } from '../../../../src/models/heads/roi/cascade-roi-head';
import { describeOnBackends } from '../../../core/helpers/backends';

describeOnBackends('CascadeRoIHead: regress_by_class deltas', (h) => {
  it("class-specific: each RoI's own label's 4 columns (one-hot sum, exact); class-agnostic: the 4 columns as they are", () => {
    // 3 RoIs, 3 classes: row r holds 10r + column (+ a fraction that a sum would not keep exactly)
    const values = Array.from({ length: 36 }, (_, i) => 10 * Math.floor(i / 12) + (i % 12) + 1 / 3);
    const got = h.run(() => Array.from(h.read(regressDeltas({ regClassAgnostic: false }, h.f32([3, 12], values), h.i32([3], [2, 0, 1]))).data as Float32Array));
    const want = [8, 9, 10, 11, 10, 11, 12, 13, 24, 25, 26, 27].map((v) => Math.fround(v + 1 / 3));
    expect(got).to.deep.equal(want);
    const agnostic = h.run(() => Array.from(h.read(regressDeltas({ regClassAgnostic: true }, h.f32([2, 4], [1, 2, 3, 4, 5, 6, 7, 8]), h.i32([2], [1, 0]))).data as Float32Array));
    expect(agnostic).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
