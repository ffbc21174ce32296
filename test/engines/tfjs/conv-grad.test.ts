/**
 * The convolution gradient formulations (phase-split transposed conv, shift-GEMM filter
 * gradient) and the backprop kernels built on them, against direct loops.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../../src/core/random';
import { symmetricGeometry } from '../../../src/engines/tfjs/conv-geometry';
import { convFilterGrad, convInputGrad, depthwiseFilterGrad } from '../../../src/engines/tfjs/conv-grad';
import { describeWithKernelSets } from './helpers/kernel-sets';
import { outSize, referenceConvGrads, type RefGeometry } from './helpers/reference-conv';

function randomTensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(new Random(seed).normalArray(shape.reduce((a, b) => a * b, 1)), shape);
}

function expectClose(got: tf.Tensor, want: Float64Array, tol = 1e-4): void {
  const g = got.dataSync();
  expect(g.length).to.equal(want.length);
  let worst = 0;
  for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i] - want[i]) / (1 + Math.abs(want[i])));
  expect(worst, 'largest relative difference').to.be.below(tol);
}

interface Case {
  title: string;
  n: number;
  hw: [number, number];
  cin: number;
  cout: number;
  k: [number, number];
  stride: [number, number];
  dilation: [number, number];
  pad: [number, number];
}

const CASES: Case[] = [
  { title: '3x3 stride 1', n: 2, hw: [7, 8], cin: 3, cout: 4, k: [3, 3], stride: [1, 1], dilation: [1, 1], pad: [1, 1] },
  { title: '3x3 stride 2, odd input', n: 2, hw: [9, 7], cin: 3, cout: 5, k: [3, 3], stride: [2, 2], dilation: [1, 1], pad: [1, 1] },
  { title: 'stride (2, 3), pad (0, 2)', n: 1, hw: [10, 11], cin: 2, cout: 3, k: [3, 3], stride: [2, 3], dilation: [1, 1], pad: [0, 2] },
  { title: 'dilation 2', n: 1, hw: [9, 9], cin: 2, cout: 2, k: [3, 3], stride: [1, 1], dilation: [2, 2], pad: [2, 2] },
  { title: 'stride 2 with dilation (2, 3)', n: 1, hw: [12, 11], cin: 2, cout: 3, k: [3, 2], stride: [2, 2], dilation: [2, 3], pad: [3, 1] },
  { title: 'stride 4 with dilation (3, 2): phases without taps', n: 1, hw: [11, 13], cin: 2, cout: 2, k: [3, 3], stride: [4, 4], dilation: [3, 2], pad: [1, 2] },
  { title: '1x1 stride 2 with padding', n: 1, hw: [8, 8], cin: 2, cout: 3, k: [1, 1], stride: [2, 2], dilation: [1, 1], pad: [1, 0] },
  { title: 'padding beyond the kernel reach', n: 1, hw: [5, 5], cin: 2, cout: 2, k: [3, 3], stride: [1, 1], dilation: [1, 1], pad: [3, 3] },
  { title: '5x3 kernel stride (3, 2)', n: 1, hw: [7, 9], cin: 3, cout: 2, k: [5, 3], stride: [3, 2], dilation: [1, 2], pad: [2, 1] },
];

function refGeometry(c: Case, groups = 1, cout = c.cout): RefGeometry {
  return {
    n: c.n,
    h: c.hw[0],
    w: c.hw[1],
    cin: c.cin,
    cout,
    kh: c.k[0],
    kw: c.k[1],
    stride: c.stride,
    dilation: c.dilation,
    pad: c.pad,
    outH: outSize(c.hw[0], c.k[0], c.stride[0], c.dilation[0], c.pad[0]),
    outW: outSize(c.hw[1], c.k[1], c.stride[1], c.dilation[1], c.pad[1]),
    groups,
  };
}

describeWithKernelSets('tfjs conv gradients', () => {
  for (const c of CASES) {
    it(`dense ${c.title}`, () => {
      const r = refGeometry(c);
      const g = symmetricGeometry(c.hw[0], c.hw[1], c.k, c.stride, c.dilation, c.pad);
      const x = randomTensor([c.n, c.hw[0], c.hw[1], c.cin], 1) as tf.Tensor4D;
      const w = randomTensor([c.k[0], c.k[1], c.cin, c.cout], 2) as tf.Tensor4D;
      const dy = randomTensor([c.n, r.outH, r.outW, c.cout], 3) as tf.Tensor4D;
      const want = referenceConvGrads(x.dataSync(), w.dataSync(), dy.dataSync(), r);
      expectClose(convInputGrad(dy, w, g), want.dx);
      expectClose(convFilterGrad(x, dy, g), want.dw);
    });

    it(`depthwise ${c.title}`, () => {
      const r = refGeometry(c, c.cin, c.cin);
      const g = symmetricGeometry(c.hw[0], c.hw[1], c.k, c.stride, c.dilation, c.pad);
      const x = randomTensor([c.n, c.hw[0], c.hw[1], c.cin], 4) as tf.Tensor4D;
      const w = randomTensor([c.k[0], c.k[1], c.cin, 1], 5) as tf.Tensor4D;
      const dy = randomTensor([c.n, r.outH, r.outW, c.cin], 6) as tf.Tensor4D;
      const want = referenceConvGrads(x.dataSync(), w.dataSync(), dy.dataSync(), r);
      expectClose(convInputGrad(dy, w, g, true), want.dx);
      expectClose(depthwiseFilterGrad(x, dy, g), want.dw);
    });
  }

  it('filter gradient over many chunks of output positions', () => {
    const c: Case = { title: '', n: 2, hw: [100, 90], cin: 3, cout: 4, k: [3, 3], stride: [1, 1], dilation: [1, 1], pad: [1, 1] };
    const r = refGeometry(c);
    const g = symmetricGeometry(c.hw[0], c.hw[1], c.k, c.stride, c.dilation, c.pad);
    const x = randomTensor([c.n, c.hw[0], c.hw[1], c.cin], 7) as tf.Tensor4D;
    const dy = randomTensor([c.n, r.outH, r.outW, c.cout], 8) as tf.Tensor4D;
    const want = referenceConvGrads(x.dataSync(), new Float32Array(3 * 3 * 3 * 4), dy.dataSync(), r);
    expectClose(convFilterGrad(x, dy, g), want.dw);
  });

  it("tfjs's backprop kernels, 'same' padding (more after than before)", () => {
    const x = randomTensor([1, 8, 7, 3], 9) as tf.Tensor4D;
    const w = randomTensor([3, 3, 3, 4], 10) as tf.Tensor4D;
    const dy = randomTensor([1, 4, 4, 4], 11) as tf.Tensor4D;
    // TensorFlow's 'same' with stride 2: out = ceil(in / 2); the extra padding goes after
    const r: RefGeometry = { n: 1, h: 8, w: 7, cin: 3, cout: 4, kh: 3, kw: 3, stride: [2, 2], dilation: [1, 1], pad: [0, 1], outH: 4, outW: 4, groups: 1 };
    const want = referenceConvGrads(x.dataSync(), w.dataSync(), dy.dataSync(), r);
    const attrs = { strides: [2, 2], pad: 'same', dataFormat: 'NHWC' };
    expectClose(tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor, want.dx);
    expectClose(tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor, want.dw);
  });

  it("tfjs's depthwise backprop kernels, with a channel multiplier", () => {
    const x = randomTensor([1, 6, 5, 2], 12) as tf.Tensor4D;
    const w = randomTensor([3, 3, 2, 2], 13) as tf.Tensor4D;
    const dy = randomTensor([1, 6, 5, 4], 14) as tf.Tensor4D;
    const r: RefGeometry = { n: 1, h: 6, w: 5, cin: 2, cout: 4, kh: 3, kw: 3, stride: [1, 1], dilation: [1, 1], pad: [1, 1], outH: 6, outW: 5, groups: 2 };
    const want = referenceConvGrads(x.dataSync(), w.dataSync(), dy.dataSync(), r);
    const attrs = { strides: [1, 1], dilations: [1, 1], pad: 'same' };
    const dx = tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: w }, { ...attrs, inputShape: x.shape });
    const dw = tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, { ...attrs, filterShape: w.shape });
    expectClose(dx as tf.Tensor, want.dx);
    expectClose(dw as tf.Tensor, want.dw);
  });

  it('tf.conv2d and tf.depthwiseConv2d are differentiable, dilated ones included', () => {
    const x = randomTensor([1, 9, 8, 2], 15) as tf.Tensor4D;
    const w = randomTensor([3, 3, 2, 3], 16) as tf.Tensor4D;
    const wd = randomTensor([3, 3, 2, 1], 17) as tf.Tensor4D;
    const dy = randomTensor([1, 9, 8, 3], 18) as tf.Tensor4D;
    const dyd = randomTensor([1, 9, 8, 2], 19) as tf.Tensor4D;
    const base = { n: 1, h: 9, w: 8, kh: 3, kw: 3, stride: [1, 1] as [number, number], dilation: [2, 2] as [number, number] };
    const r: RefGeometry = { ...base, cin: 2, cout: 3, pad: [2, 2], outH: 9, outW: 8, groups: 1 };
    const want = referenceConvGrads(x.dataSync(), w.dataSync(), dy.dataSync(), r);
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same', 'NHWC', 2), dy)))([x, w]);
    expectClose(gx, want.dx);
    expectClose(gw, want.dw);
    const rd: RefGeometry = { ...base, cin: 2, cout: 2, pad: [2, 2], outH: 9, outW: 8, groups: 2 };
    const wantD = referenceConvGrads(x.dataSync(), wd.dataSync(), dyd.dataSync(), rd);
    const [hx, hw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same', 'NHWC', 2), dyd)))([x, wd]);
    expectClose(hx, wantD.dx);
    expectClose(hw, wantD.dw);
  });
});
