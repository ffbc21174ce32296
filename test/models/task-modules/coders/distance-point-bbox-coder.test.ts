import { expect } from 'chai';
import { hostTensor } from '../../../../src/core/host-tensor';
import { DistancePointBBoxCoder } from '../../../../src/models/task-modules/coders/distance-point-bbox-coder';
import { MlvlPointGenerator } from '../../../../src/models/task-modules/prior-generators/mlvl-point-generator';
import { describeOnBackends } from '../../../core/helpers/backends';
import { expectParity } from '../../../engines/onnx/helpers/parity';
import { buildTaskUtil, errorOf, expectAllClose } from '../helpers';

describeOnBackends('DistancePointBBoxCoder', (h) => {
  const read = (t: unknown) => Array.from(h.read(t as never).data as Float32Array);
  const coder = new DistancePointBBoxCoder();

  it('encodes (left, top, right, bottom), clamped to [0, max_dis - eps] when asked', () => {
    h.run(() => {
      const pts = h.f32([2, 2], [5, 5, 30, 2]);
      const gt = h.f32([2, 4], [0, 1, 12, 20, 10, 0, 20, 10]);
      expect(read(coder.encode(pts, gt))).to.deep.equal([5, 4, 7, 15, 20, 2, -10, 8]);
      expectAllClose(read(coder.encode(pts, gt, 10)), [5, 4, 7, 9.9, 9.9, 2, 0, 8], 1e-6, 0);
      expectAllClose(read(coder.encode(pts, gt, 10, 0.5)), [5, 4, 7, 9.5, 9.5, 2, 0, 8], 1e-6, 0);
    });
  });

  it('decodes, clips to the image (one shape, or one per image), and round-trips', () => {
    h.run(() => {
      const pts = h.f32([2, 2], [5, 5, 30, 2]);
      const d = h.f32([2, 4], [5, 4, 7, 15, 20, 2, 10, 8]);
      expect(read(coder.decode(pts, d))).to.deep.equal([0, 1, 12, 20, 10, 0, 40, 10]);
      expect(read(coder.decode(pts, d, [16, 32]))).to.deep.equal([0, 1, 12, 16, 10, 0, 32, 10]);
      expect(read(new DistancePointBBoxCoder({ clip_border: false }).decode(pts, d, [16, 32]))).to.deep.equal([0, 1, 12, 20, 10, 0, 40, 10]);
      const batch = coder.decode(h.f32([2, 1, 2], [5, 5, 30, 2]), h.f32([2, 1, 4], [5, 4, 7, 15, 20, 2, 10, 8]), [[16, 32], [8, 35]]);
      expect(read(batch)).to.deep.equal([0, 1, 12, 16, 10, 0, 35, 8]);
      expect(read(coder.encode(pts, coder.decode(pts, d)))).to.deep.equal([5, 4, 7, 15, 20, 2, 10, 8]);
    });
  });

  it('says which shapes it needs', () => {
    h.run(() => {
      expect(errorOf(() => coder.decode(h.f32([2, 4], new Array(8).fill(0)), h.f32([2, 4], new Array(8).fill(0)))).message).to.match(/\[\.\.\., N, 2\]/);
    });
  });
});

describe('DistancePointBBoxCoder export', () => {
  it('points + decode + clip trace to ONNX and match tfjs on onnxruntime', async () => {
    const points = new MlvlPointGenerator({ strides: [8] });
    const coder = buildTaskUtil<DistancePointBBoxCoder>({ type: 'DistancePointBBoxCoder' });
    const d = hostTensor('float32', [12, 4], Float32Array.from({ length: 48 }, (_, i) => (i * 7.3) % 19));
    await expectParity((x) => coder.decode(points.gridPriors([[3, 4]])[0], x, [20, 30]), [{ name: 'd', value: d }], { atol: 1e-5 });
  });
});
