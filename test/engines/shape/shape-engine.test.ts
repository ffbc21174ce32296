import { expect } from 'chai';
import { withEngine } from '../../../src/core/engine-context';
import { hostTensor } from '../../../src/core/host-tensor';
import * as F from '../../../src/core/ops';
import type { Engine } from '../../../src/core/engine';
import type { Tensor } from '../../../src/core/tensor';
import { activeBackend, initBackend } from '../../../src/engines/tfjs/backend';
import { TfjsEngine } from '../../../src/engines/tfjs/tfjs-engine';
import { NoDataError, ShapeEngine, ShapeError } from '../../../src/engines/shape/shape-engine';

const zeros = (shape: number[], dtype: 'float32' | 'int32' = 'float32') => hostTensor(dtype, shape);

/** Op-layer programs whose output shapes are checked against hand-computed ones and against the tfjs engine. */
const CASES: { name: string; expected: number[]; run: () => Tensor }[] = [
  { name: 'conv 7x7 s2 p3 on 224 (ResNet stem)', expected: [1, 8, 112, 112], run: () => F.conv2d(F.constant(zeros([1, 3, 224, 224])), F.constant(zeros([8, 3, 7, 7])), null, { stride: 2, padding: 3 }) },
  { name: 'conv 3x3 s2 p1 on odd size', expected: [1, 4, 4, 3], run: () => F.conv2d(F.constant(zeros([1, 2, 7, 5])), F.constant(zeros([4, 2, 3, 3])), null, { stride: 2, padding: 1 }) },
  { name: 'grouped, dilated conv', expected: [2, 6, 5, 5], run: () => F.conv2d(F.constant(zeros([2, 4, 9, 9])), F.constant(zeros([6, 2, 3, 3])), null, { dilation: 2, groups: 2 }) },
  { name: 'deconv k2 s2 on 14 (mask head) → 28', expected: [2, 4, 28, 28], run: () => F.convTranspose2d(F.constant(zeros([2, 3, 14, 14])), F.constant(zeros([3, 4, 2, 2])), null, { stride: 2 }) },
  { name: 'deconv k3 s2 p1 output_padding 1, groups 2', expected: [1, 6, 10, 8], run: () => F.convTranspose2d(F.constant(zeros([1, 4, 5, 4])), F.constant(zeros([4, 3, 3, 3])), null, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }) },
  { name: 'max pool 3x3 s2 p1 on 112', expected: [1, 2, 56, 56], run: () => F.maxPool2d(F.constant(zeros([1, 2, 112, 112])), 3, { stride: 2, padding: 1 }) },
  { name: 'max pool ceil mode 5 → 3', expected: [1, 1, 3, 3], run: () => F.maxPool2d(F.constant(zeros([1, 1, 5, 5])), 2, { ceilMode: true }) },
  { name: 'avg pool floor mode 5 → 2', expected: [1, 1, 2, 2], run: () => F.avgPool2d(F.constant(zeros([1, 1, 5, 5])), 2) },
  { name: 'avg pool ceil mode with padding 4 → 3', expected: [1, 1, 3, 3], run: () => F.avgPool2d(F.constant(zeros([1, 1, 4, 4])), 2, { padding: 1, ceilMode: true }) },
  { name: 'linear over a 3-D input', expected: [2, 5, 7], run: () => F.linear(F.constant(zeros([2, 5, 3])), F.constant(zeros([7, 3])), null) },
  { name: 'broadcasting add', expected: [2, 3, 4, 5], run: () => F.add(F.constant(zeros([2, 1, 4, 1])), F.constant(zeros([3, 1, 5]))) },
  { name: 'sum over H, W keeping dims', expected: [1, 3, 1, 1], run: () => F.sum(F.constant(zeros([1, 3, 4, 5])), [2, 3], true) },
  { name: 'mean over C', expected: [2, 4, 5], run: () => F.mean(F.constant(zeros([2, 3, 4, 5])), 1) },
  { name: 'flatten', expected: [2, 60], run: () => F.flatten(F.constant(zeros([2, 3, 4, 5]))) },
  { name: 'transpose', expected: [5, 2, 4, 3], run: () => F.transpose(F.constant(zeros([2, 3, 4, 5])), [3, 0, 2, 1]) },
  { name: 'concat on channels', expected: [1, 7, 4, 4], run: () => F.concat([F.constant(zeros([1, 3, 4, 4])), F.constant(zeros([1, 4, 4, 4]))], 1) },
  { name: 'narrow', expected: [1, 3, 2, 4], run: () => F.narrow(F.constant(zeros([1, 3, 4, 4])), 2, 1, 2) },
  { name: 'tile', expected: [2, 6], run: () => F.tile(F.constant(zeros([1, 3])), [2, 2]) },
  { name: 'bilinear resize x2', expected: [1, 2, 6, 8], run: () => F.interpolate(F.constant(zeros([1, 2, 3, 4])), { scaleFactor: 2, mode: 'bilinear' }) },
  { name: 'global average pool', expected: [2, 3, 1, 1], run: () => F.globalAvgPool(F.constant(zeros([2, 3, 5, 4]))) },
  { name: 'topk values', expected: [2, 3], run: () => F.topk(F.constant(zeros([2, 10])), 3).values },
  { name: 'gather rows', expected: [4, 5], run: () => F.gather(F.constant(zeros([10, 5])), F.constant(zeros([4], 'int32')), 0) },
  { name: 'batched matmul', expected: [2, 3, 6], run: () => F.matmul(F.constant(zeros([2, 3, 4])), F.constant(zeros([2, 4, 6]))) },
  { name: 'argmax over channels', expected: [1, 4, 4], run: () => F.argmax(F.constant(zeros([1, 3, 4, 4])), 1) },
  { name: 'roi align 7x7', expected: [3, 4, 7, 7], run: () => F.roiAlign(F.constant(zeros([1, 4, 16, 16])), F.constant(zeros([3, 5])), { outputSize: [7, 7], spatialScale: 0.25 }) },
];

describe('ShapeEngine', () => {
  describe('output shapes (hand-computed)', () => {
    for (const c of CASES) {
      it(c.name, () => {
        const y = withEngine(new ShapeEngine(), c.run);
        expect([...y.shape]).to.deep.equal(c.expected);
      });
    }
  });

  describe('agrees with the tfjs engine on output shapes', () => {
    let tfjs: Engine;
    let previous: string | undefined;
    before(async () => {
      previous = activeBackend()?.name;
      await initBackend('cpu');
      tfjs = new TfjsEngine();
    });
    after(async () => {
      if (previous && previous !== 'cpu') await initBackend(previous);
    });
    it('for every case above', () => {
      for (const c of CASES) expect([...withEngine(tfjs, c.run).shape], c.name).to.deep.equal(c.expected);
    });
  });

  describe('multiply-accumulates', () => {
    const count = (fn: () => unknown) => {
      const e = new ShapeEngine();
      withEngine(e, fn);
      return e.macs;
    };
    it('conv2d: N * Cout * Cin/groups * kh * kw * Hout * Wout, bias excluded', () => {
      // conv 3->8 k3 s2 p1 on 3x32x32 → 8x16x16
      expect(count(() => F.conv2d(F.constant(zeros([1, 3, 32, 32])), F.constant(zeros([8, 3, 3, 3])), F.constant(zeros([8])), { stride: 2, padding: 1 }))).to.equal(8 * 3 * 9 * 16 * 16);
      // grouped: 2 images, 4->6 in 2 groups, 3x3 dilation 2 on 9x9 → 5x5
      expect(count(() => F.conv2d(F.constant(zeros([2, 4, 9, 9])), F.constant(zeros([6, 2, 3, 3])), null, { dilation: 2, groups: 2 }))).to.equal(2 * 6 * 2 * 9 * 25);
    });
    it('conv_transpose2d: N * Cin * Cout/groups * kh * kw * Hin * Win (fvcore / mmengine), bias excluded', () => {
      // FCNMaskHead's upsample: 256 -> 256 k2 s2 on 14x14, per RoI
      const mask = () => F.convTranspose2d(F.constant(zeros([1, 256, 14, 14])), F.constant(zeros([256, 256, 2, 2])), F.constant(zeros([256])), { stride: 2 });
      expect(count(mask)).to.equal(256 * 256 * 4 * 14 * 14);
      // HeatmapHead deconv: 32 -> 256 k4 s2 p1 on 64x48; grouped 4 -> 6 in 2 groups, 2 images
      const heat = () => F.convTranspose2d(F.constant(zeros([1, 32, 64, 48])), F.constant(zeros([32, 256, 4, 4])), null, { stride: 2, padding: 1 });
      expect(count(heat)).to.equal(32 * 256 * 16 * 64 * 48);
      const grouped = () => F.convTranspose2d(F.constant(zeros([2, 4, 5, 4])), F.constant(zeros([4, 3, 3, 3])), null, { stride: 2, groups: 2 });
      expect(count(grouped)).to.equal(2 * 4 * 3 * 9 * 5 * 4);
    });
    it('linear: rows * in * out; matmul: batch * m * k * n', () => {
      expect(count(() => F.linear(F.constant(zeros([2, 5, 3])), F.constant(zeros([7, 3])), F.constant(zeros([7]))))).to.equal(10 * 3 * 7);
      expect(count(() => F.matmul(F.constant(zeros([2, 3, 4])), F.constant(zeros([4, 6]))))).to.equal(2 * 3 * 4 * 6);
    });
    it('does not count elementwise ops, norms, pooling or resizing', () => {
      expect(
        count(() => {
          const x = F.constant(zeros([1, 4, 8, 8]));
          const v = F.constant(zeros([4]));
          F.interpolate(F.maxPool2d(F.relu(F.batchNorm(F.add(x, x), v, v, v, v, 1e-5)), 2), { scaleFactor: 2 });
        }),
      ).to.equal(0);
    });
  });

  describe('errors', () => {
    const run = (fn: () => unknown) => () => withEngine(new ShapeEngine(), fn);
    it('rejects an input too small for a kernel', () => {
      expect(run(() => F.conv2d(F.constant(zeros([1, 3, 2, 2])), F.constant(zeros([4, 3, 3, 3])), null))).to.throw(
        ShapeError,
        'conv2d: a 2x2 input is too small for a 3x3 kernel (stride 1x1, padding 0x0, dilation 1x1)',
      );
    });
    it('rejects shapes that do not broadcast, reshape or fit', () => {
      expect(run(() => F.add(F.constant(zeros([2, 3])), F.constant(zeros([4]))))).to.throw(ShapeError, 'add: shapes [2, 3] and [4] do not broadcast');
      expect(run(() => F.matmul(F.constant(zeros([2, 3])), F.constant(zeros([4, 5]))))).to.throw(ShapeError, 'inner sizes differ');
      expect(run(() => F.linear(F.constant(zeros([2, 3])), F.constant(zeros([5, 4])), null))).to.throw(ShapeError, 'does not fit weight');
      expect(run(() => F.concat([F.constant(zeros([1, 2, 3, 3])), F.constant(zeros([1, 2, 4, 4]))]))).to.throw(ShapeError, 'do not fit');
    });
    it('has no data to read', () => {
      const e = new ShapeEngine();
      expect(() => e.readSync(e.input([2, 2]))).to.throw(NoDataError, 'the model reads the values of a [2, 2] tensor');
    });
    it('reports nms as data-dependent with its upper bound', () => {
      const seen: number[][] = [];
      const e = new ShapeEngine({ dataDependent: (_op, shape) => seen.push([...shape]) });
      const keep = withEngine(e, () => F.nms(e.input([50, 4]), e.input([50]), { iouThreshold: 0.5, maxOutput: 20 }));
      const all = withEngine(e, () => F.nms(e.input([50, 4]), e.input([50]), { iouThreshold: 0.5 }));
      expect([keep.shape, all.shape]).to.deep.equal([[20], [50]]);
      expect(seen).to.deep.equal([[20], [50]]);
    });
  });
});
