import { expect } from 'chai';
import * as F from '../../../src/core/ops';
import { expectParity, randomTensor, runTraced, tensorOf, traceOps, useTfjs } from './helpers/parity';

const inp = (name: string, shape: number[], seed: number) => ({ name, value: randomTensor(shape, seed) });

describe('onnx tracer: resize and pooling match tfjs', function () {
  before(useTfjs);

  it('nearest by a whole factor uses constant scales (asymmetric, floor)', async () => {
    const t = await expectParity((a) => F.interpolate(a, { scaleFactor: 2, mode: 'nearest' }), [inp('x', [1, 3, 4, 5], 1)]);
    const r = t.graph.nodes.find((n) => n.op === 'Resize')!;
    expect(r.attrs.coordinate_transformation_mode).to.deep.equal({ kind: 'string', value: 'asymmetric' });
    expect(r.attrs.nearest_mode).to.deep.equal({ kind: 'string', value: 'floor' });
    expect(r.inputs[2]).to.not.equal('');
    await expectParity((a) => F.interpolate(a, { size: [12, 20], mode: 'nearest' }), [inp('x', [2, 3, 3, 5], 2)]);
  });

  it('nearest to sizes that are not whole multiples (PyTorch floor(dst * in / out))', async () => {
    await expectParity((a) => F.interpolate(a, { size: [7, 11], mode: 'nearest' }), [inp('x', [1, 2, 5, 4], 3)]);
    await expectParity((a) => F.interpolate(a, { size: [3, 2], mode: 'nearest' }), [inp('x', [1, 2, 7, 5], 4)]);
  });

  it('bilinear, align_corners false: half-pixel centres, negative sources clamped to 0', async () => {
    await expectParity((a) => F.interpolate(a, { scaleFactor: 2, mode: 'bilinear' }), [inp('x', [1, 3, 4, 5], 5)]);
    await expectParity((a) => F.interpolate(a, { scaleFactor: 8, mode: 'bilinear' }), [inp('x', [1, 2, 2, 3], 6)]);
    await expectParity((a) => F.interpolate(a, { size: [9, 7], mode: 'bilinear' }), [inp('x', [1, 2, 4, 3], 7)]);
  });

  it('bilinear downsampling (no antialiasing, as PyTorch)', async () => {
    await expectParity((a) => F.interpolate(a, { size: [3, 4], mode: 'bilinear' }), [inp('x', [1, 2, 8, 9], 8)]);
  });

  it('bilinear, align_corners true', async () => {
    await expectParity((a) => F.interpolate(a, { size: [9, 7], mode: 'bilinear', alignCorners: true }), [inp('x', [1, 2, 4, 3], 9)]);
    await expectParity((a) => F.interpolate(a, { scaleFactor: 4, mode: 'bilinear', alignCorners: true }), [inp('x', [1, 2, 3, 3], 10)]);
  });

  it('hand-computed: PyTorch nearest floor(dst * in / out) and half-pixel bilinear clamped at the border', async () => {
    const x = { name: 'x', value: tensorOf('float32', [1, 1, 1, 3], [10, 20, 30]) };
    const near = await traceOps((a) => F.interpolate(a, { size: [1, 7], mode: 'nearest' }), [x]);
    // src = floor(dst * 3 / 7): 0 0 0 1 1 2 2
    expect(Array.from((await runTraced(near, [x]))[0].data as Float32Array)).to.deep.equal([10, 10, 10, 20, 20, 30, 30]);
    await near.model.dispose();
    const y = { name: 'x', value: tensorOf('float32', [1, 1, 1, 2], [0, 1]) };
    const lin = await traceOps((a) => F.interpolate(a, { size: [1, 4], mode: 'bilinear' }), [y]);
    // src = (dst + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to the last pixel)
    expect(Array.from((await runTraced(lin, [y]))[0].data as Float32Array)).to.deep.equal([0, 0.25, 0.75, 1]);
    await lin.model.dispose();
  });

  it('max pooling with padding and ceil mode', async () => {
    const x = inp('x', [2, 3, 9, 10], 11);
    await expectParity((a) => F.maxPool2d(a, 3, { stride: 2, padding: 1 }), [x]);
    await expectParity((a) => F.maxPool2d(a, 2), [x]);
    await expectParity((a) => F.maxPool2d(a, 3, { stride: 2, ceilMode: true }), [x]);
    await expectParity((a) => F.maxPool2d(a, 3, { stride: 2, padding: 1, ceilMode: true }), [x]);
  });

  it('ceil mode drops a last window that would start in the padding (PyTorch rule)', async () => {
    // 5 + 2*1 - 2 = 5 → ceil(5/2)+1 = 4 windows, but the 4th starts at 6 >= 5 + 1: PyTorch keeps 3
    const x = inp('x', [1, 2, 5, 5], 12);
    await expectParity((a) => F.maxPool2d(a, 2, { stride: 2, padding: 1, ceilMode: true }), [x]);
    await expectParity((a) => F.avgPool2d(a, 2, { stride: 2, padding: 1, ceilMode: true }), [x]);
    await expectParity((a) => F.avgPool2d(a, 2, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), [x]);
  });

  const avgCases: [string, number, F.PoolArgs][] = [
    ['2x2', 2, {}],
    ['3x3 s2 p1 counting padding', 3, { stride: 2, padding: 1 }],
    ['3x3 s2 p1 not counting padding', 3, { stride: 2, padding: 1, countIncludePad: false }],
    ['2x2 ceil mode (overhang not counted)', 2, { stride: 2, ceilMode: true }],
    ['3x3 s2 p1 ceil mode counting padding', 3, { stride: 2, padding: 1, ceilMode: true }],
    ['3x3 s2 p1 ceil mode not counting padding', 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }],
  ];
  for (const [title, k, args] of avgCases) {
    it(`average pooling ${title}`, async () => {
      await expectParity((a) => F.avgPool2d(a, k, args), [inp('x', [1, 3, 7, 8], 13)]);
    });
  }

  it('global average pooling', async () => {
    await expectParity((a) => F.globalAvgPool(a), [inp('x', [2, 3, 5, 6], 14)]);
  });
});
