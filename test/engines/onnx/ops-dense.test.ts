import { expect } from 'chai';
import { hostTensor } from '../../../src/core/host-tensor';
import * as F from '../../../src/core/ops';
import { expectParity, opsOf, randomTensor, useTfjs } from './helpers/parity';

const positive = (shape: number[], seed: number) =>
  hostTensor('float32', shape, Float32Array.from(randomTensor(shape, seed).data as Float32Array, (x) => Math.abs(x) + 0.5));
const inp = (name: string, shape: number[], seed: number, scale = 1) => ({ name, value: randomTensor(shape, seed, scale) });

describe('onnx tracer: dense ops match tfjs', function () {
  before(useTfjs);

  const convCases: { title: string; x: number[]; w: number[]; args: F.Conv2dArgs; bias: boolean }[] = [
    { title: '3x3 stride 1 pad 1 with bias', x: [2, 3, 9, 11], w: [5, 3, 3, 3], args: { padding: 1 }, bias: true },
    { title: '3x3 stride 2 pad 1, odd size', x: [1, 4, 13, 10], w: [6, 4, 3, 3], args: { stride: 2, padding: 1 }, bias: false },
    { title: '1x1 stride 2', x: [1, 4, 7, 8], w: [3, 4, 1, 1], args: { stride: 2 }, bias: true },
    { title: 'dilation 2, asymmetric padding', x: [1, 2, 12, 9], w: [4, 2, 3, 3], args: { dilation: 2, padding: [2, 1] }, bias: true },
    { title: 'groups 2', x: [1, 4, 8, 8], w: [6, 2, 3, 3], args: { groups: 2, padding: 1 }, bias: true },
    { title: 'depthwise', x: [1, 4, 8, 6], w: [4, 1, 3, 3], args: { groups: 4, padding: 1, stride: 2 }, bias: false },
  ];
  for (const c of convCases) {
    it(`conv2d ${c.title}`, async () => {
      const inputs = [inp('x', c.x, 1), inp('w', c.w, 2), ...(c.bias ? [inp('b', [c.w[0]], 3)] : [])];
      await expectParity((x, w, b) => F.conv2d(x, w, b ?? null, c.args), inputs, { atol: 1e-4 });
    });
  }

  const deconvCases: { title: string; x: number[]; w: number[]; args: F.ConvTranspose2dArgs; bias: boolean }[] = [
    { title: 'k2 stride 2 with bias', x: [2, 3, 5, 6], w: [3, 4, 2, 2], args: { stride: 2 }, bias: true },
    { title: 'k4 stride 2 pad 1', x: [1, 4, 5, 4], w: [4, 3, 4, 4], args: { stride: 2, padding: 1 }, bias: false },
    { title: 'k3 stride 2 pad 1 output_padding 1', x: [1, 2, 4, 5], w: [2, 3, 3, 3], args: { stride: 2, padding: 1, outputPadding: 1 }, bias: true },
    { title: 'dilation 2, stride (2, 3), output_padding (1, 2)', x: [1, 2, 4, 4], w: [2, 2, 3, 3], args: { stride: [2, 3], dilation: 2, outputPadding: [1, 2] }, bias: true },
    { title: 'groups 2', x: [1, 4, 4, 4], w: [4, 3, 3, 3], args: { groups: 2, stride: 2, padding: 1 }, bias: true },
    { title: 'depthwise', x: [1, 3, 5, 4], w: [3, 1, 4, 4], args: { groups: 3, stride: 2, padding: 1 }, bias: false },
  ];
  for (const c of deconvCases) {
    it(`conv_transpose2d ${c.title}`, async () => {
      const inputs = [inp('x', c.x, 1), inp('w', c.w, 2), ...(c.bias ? [inp('b', [c.w[1] * (c.args.groups ?? 1)], 3)] : [])];
      const t = await expectParity((x, w, b) => F.convTranspose2d(x, w, b ?? null, c.args), inputs, { atol: 1e-4 });
      expect(opsOf(t.graph)).to.deep.equal(['ConvTranspose']);
    });
  }

  it('linear on [N, in] becomes one Gemm', async () => {
    const t = await expectParity((x, w, b) => F.linear(x, w, b), [inp('x', [3, 5], 4), inp('w', [4, 5], 5), inp('b', [4], 6)]);
    expect(opsOf(t.graph)).to.deep.equal(['Gemm']);
  });

  it('linear on [N, L, in] and matmul', async () => {
    await expectParity((x, w, b) => F.linear(x, w, b), [inp('x', [2, 3, 5], 7), inp('w', [4, 5], 8), inp('b', [4], 9)]);
    await expectParity((a, b) => F.matmul(a, b), [inp('a', [2, 3, 5], 10), inp('b', [2, 5, 4], 11)]);
  });

  it('batch norm without a conv before it stays a BatchNormalization', async () => {
    const c = 4;
    const t = await expectParity(
      (x, m, v, w, b) => F.batchNorm(x, m, v, w, b, 1e-5),
      [inp('x', [2, c, 5, 3], 12), inp('m', [c], 13), { name: 'v', value: positive([c], 14) }, inp('w', [c], 15), inp('b', [c], 16)],
    );
    expect(opsOf(t.graph)).to.deep.equal(['BatchNormalization']);
  });

  it('group norm lowers to instance norm with the affine part', async () => {
    await expectParity((x, w, b) => F.groupNorm(x, 2, w, b, 1e-5), [inp('x', [2, 6, 4, 5], 17, 3), inp('w', [6], 18), inp('b', [6], 19)], { atol: 1e-4 });
  });
});
