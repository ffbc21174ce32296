import { expect } from 'chai';
import { MlvlPointGenerator } from '../../../../src/models/task-modules/prior-generators/mlvl-point-generator';
import { describeOnBackends } from '../../../core/helpers/backends';
import { buildTaskUtil } from '../helpers';

describeOnBackends('MlvlPointGenerator', (h) => {
  const read = (t: unknown) => Array.from(h.read(t as never).data as Float32Array);

  it('points at (x + 0.5) * stride in row-major order, per level', () => {
    const g = new MlvlPointGenerator({ strides: [8, 16] });
    h.run(() => {
      const [l0, l1] = g.gridPriors([[2, 3], [1, 1]]);
      expect(l0.shape).to.deep.equal([6, 2]);
      expect(read(l0)).to.deep.equal([4, 4, 12, 4, 20, 4, 4, 12, 12, 12, 20, 12]);
      expect(read(l1)).to.deep.equal([8, 8]);
    });
  });

  it('with_stride appends (stride_w, stride_h); (w, h) strides and offset 0', () => {
    const g = new MlvlPointGenerator({ strides: [[8, 4]], offset: 0 });
    h.run(() => {
      const [l0] = g.gridPriors([[2, 2]], { withStride: true });
      expect(l0.shape).to.deep.equal([4, 4]);
      expect(read(l0)).to.deep.equal([0, 0, 8, 4, 8, 0, 8, 4, 0, 4, 8, 4, 8, 4, 8, 4]);
    });
  });

  it('valid flags per point', () => {
    const g = buildTaskUtil<MlvlPointGenerator>({ type: 'MlvlPointGenerator', strides: [8, 16, 32, 64, 128], offset: 0.5 });
    expect(g.numBasePriors).to.deep.equal([1, 1, 1, 1, 1]);
    const flags = g.validFlags([[2, 3], [1, 2], [1, 1], [1, 1], [1, 1]], [9, 15]);
    expect(Array.from(flags[0])).to.deep.equal([1, 1, 0, 1, 1, 0]); // ceil(9/8) = 2 rows, ceil(15/8) = 2 columns
    expect(Array.from(flags[1])).to.deep.equal([1, 0]);
  });
});
