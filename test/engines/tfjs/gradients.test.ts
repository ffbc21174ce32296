/**
 * Every differentiable op of the engine contract has a gradient on the wasm and cpu
 * backends that agrees with central finite differences of its forward. The dense ops (the
 * ones the kernel sets implement) are checked with both kernel sets.
 */
import { hostTensor } from '../../../src/core/host-tensor';
import * as F from '../../../src/core/ops';
import type { Tensor } from '../../../src/core/tensor';
import { describeOnBackends } from '../../core/helpers/backends';
import { describeWithKernelSets } from './helpers/kernel-sets';
import { awayFromIntegers, awayFromZero, distinctHost, expectGradient, randomHost, type GradCheck } from './helpers/finite-difference';

const positive = (shape: number[], seed: number) => randomHost(shape, seed, (v) => 0.5 + Math.abs(v));
const scaled = (shape: number[], seed: number, s: number) => randomHost(shape, seed, (v) => v * s);

describeWithKernelSets('tfjs gradients: dense', (h) => {
  const check = (c: GradCheck) => expectGradient(h.engine, c);
  const x = (shape: number[], seed = 1) => randomHost(shape, seed);

  const convCases: [string, number[], number[], F.Conv2dArgs][] = [
    ['3x3 pad 1', [2, 3, 6, 7], [4, 3, 3, 3], { padding: 1 }],
    ['3x3 stride 2 pad 1, odd sizes', [1, 3, 9, 7], [4, 3, 3, 3], { stride: 2, padding: 1 }],
    ['3x3 dilation 2 pad 2', [1, 2, 8, 9], [3, 2, 3, 3], { dilation: 2, padding: 2 }],
    ['stride 2 and dilation 2 together', [1, 2, 11, 10], [3, 2, 3, 3], { stride: 2, dilation: 2, padding: [2, 1] }],
    ['1x1 stride 2 without padding', [1, 3, 7, 6], [2, 3, 1, 1], { stride: 2 }],
    ['padding beyond the kernel reach', [1, 2, 5, 5], [2, 2, 3, 3], { padding: 3 }],
    ['5x3 kernel, stride (3, 2)', [1, 2, 10, 9], [3, 2, 5, 3], { stride: [3, 2], padding: [2, 1] }],
    ['groups 2', [1, 4, 6, 6], [6, 2, 3, 3], { groups: 2, padding: 1 }],
    ['depthwise stride 2', [1, 3, 7, 8], [3, 1, 3, 3], { groups: 3, stride: 2, padding: 1 }],
    ['depthwise dilation 2', [1, 3, 8, 8], [3, 1, 3, 3], { groups: 3, dilation: 2, padding: 2 }],
    ['depthwise, channel multiplier 2', [1, 2, 6, 7], [4, 1, 3, 3], { groups: 2, padding: 1 }],
  ];
  for (const [title, xs, ws, args] of convCases) {
    it(`conv2d ${title}`, () => {
      check({ f: (a, w, b) => F.conv2d(a, w, b, args), inputs: [x(xs, 1), x(ws, 2), x([ws[0]], 3)], samples: 16 });
    });
  }

  const deconvCases: [string, number[], number[], F.ConvTranspose2dArgs][] = [
    ['k2 stride 2', [1, 3, 3, 4], [3, 2, 2, 2], { stride: 2 }],
    ['k4 stride 2 pad 1', [2, 2, 3, 3], [2, 3, 4, 4], { stride: 2, padding: 1 }],
    ['k3 stride 2 pad 1 output_padding 1', [1, 2, 4, 3], [2, 2, 3, 3], { stride: 2, padding: 1, outputPadding: 1 }],
    ['dilation 2 with stride 2', [1, 2, 3, 4], [2, 2, 3, 3], { stride: 2, dilation: 2, padding: 1 }],
    ['groups 2', [1, 4, 3, 3], [4, 2, 3, 3], { groups: 2, stride: 2, padding: 1 }],
    ['depthwise', [1, 3, 4, 3], [3, 1, 3, 3], { groups: 3, stride: 2, padding: 1 }],
  ];
  for (const [title, xs, ws, args] of deconvCases) {
    it(`conv_transpose2d ${title}`, () => {
      const cout = ws[1] * (args.groups ?? 1);
      check({ f: (a, w, b) => F.convTranspose2d(a, w, b, args), inputs: [x(xs, 1), x(ws, 2), x([cout], 3)], samples: 16 });
    });
  }

  it('linear on [N, in] and on a 4-D input', () => {
    check({ f: (a, w, b) => F.linear(a, w, b), inputs: [x([3, 5]), x([4, 5], 2), x([4], 3)] });
    check({ f: (a, w, b) => F.linear(a, w, b), inputs: [x([2, 3, 2, 5]), x([4, 5], 2), x([4], 3)] });
  });

  it('matmul, 2-D and batched with a broadcast operand', () => {
    check({ f: (a, b) => F.matmul(a, b), inputs: [x([3, 4]), x([4, 5], 2)] });
    check({ f: (a, b) => F.matmul(a, b), inputs: [x([2, 3, 4]), x([4, 2], 2)] });
  });

  it('batch norm in eval mode (running statistics)', () => {
    check({
      f: (a, m, v, w, b) => F.batchNorm(a, m, v, w, b, 1e-5),
      inputs: [x([2, 3, 4, 5]), x([3], 2), positive([3], 3), x([3], 4), x([3], 5)],
      wrt: [0, 1, 2, 3, 4],
    });
  });

  it('batch norm without affine parameters, on a 2-D input', () => {
    check({ f: (a, m, v) => F.batchNorm(a, m, v, null, null, 1e-5), inputs: [x([2, 3, 4, 5]), x([3], 2), positive([3], 3)] });
    check({ f: (a, m, v, w, b) => F.batchNorm(a, m, v, w, b, 1e-5), inputs: [x([4, 3]), x([3], 2), positive([3], 3), x([3], 4), x([3], 5)] });
  });

  it('batch norm in train mode (batch statistics from moments)', () => {
    check({
      f: (a, w, b) => {
        const { mean, variance } = F.moments(a, [0, 2, 3]);
        return F.batchNorm(a, mean, variance, w, b, 1e-5);
      },
      inputs: [scaled([2, 3, 4, 3], 1, 2), x([3], 2), x([3], 3)],
      eps: 5e-3,
    });
  });

  it('group norm', () => {
    check({ f: (a, w, b) => F.groupNorm(a, 2, w, b, 1e-5), inputs: [scaled([2, 4, 3, 3], 1, 2), x([4], 2), x([4], 3)], eps: 5e-3 });
  });
});

describeOnBackends('tfjs gradients: elementwise and reductions', (h) => {
  const check = (c: GradCheck) => expectGradient(h.engine, c);
  const x = (shape: number[], seed = 1) => randomHost(shape, seed);
  const shape = [2, 3, 2, 4];

  const unary: [string, (t: Tensor) => Tensor, () => ReturnType<typeof randomHost>][] = [
    ['relu', F.relu, () => awayFromZero(shape, 1)],
    ['sigmoid', F.sigmoid, () => x(shape)],
    ['exp', F.exp, () => x(shape)],
    ['log', F.log, () => positive(shape, 1)],
    ['sqrt', F.sqrt, () => positive(shape, 1)],
    ['neg', F.neg, () => x(shape)],
    ['abs', F.abs, () => awayFromZero(shape, 1)],
    ['floor', F.floor, () => awayFromIntegers(shape, 1)],
    ['ceil', F.ceil, () => awayFromIntegers(shape, 1)],
    ['tanh', F.tanh, () => x(shape)],
    ['softplus', F.softplus, () => scaled(shape, 1, 3)],
  ];
  for (const [name, f, input] of unary) {
    it(`unary ${name}`, () => check({ f, inputs: [input()], eps: 1e-3 }));
  }

  const binary: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ['add', F.add],
    ['sub', F.sub],
    ['mul', F.mul],
    ['div', F.div],
  ];
  for (const [name, f] of binary) {
    it(`binary ${name} with broadcasting`, () => {
      check({ f, inputs: [x(shape), positive([1, 3, 1, 1], 2)] });
      check({ f, inputs: [x(shape), positive([4], 3)] });
      check({ f, inputs: [x([3, 4]), positive([3, 1], 4)] });
    });
  }

  it('binary maximum and minimum (operands apart)', () => {
    const a = x(shape);
    const b = hostTensor('float32', shape, Float32Array.from(a.data as Float32Array, (v, i) => v + (i % 2 ? 0.3 : -0.3)));
    check({ f: F.maximum, inputs: [a, b] });
    check({ f: F.minimum, inputs: [a, b] });
  });

  it('binary pow with a positive base', () => {
    check({ f: F.pow, inputs: [positive(shape, 1), scaled(shape, 2, 0.5)], eps: 1e-3 });
  });

  it('clip and where', () => {
    check({ f: (a) => F.clip(a, -0.5, 0.7), inputs: [awayFromIntegers(shape, 1, 0.1)] });
    check({ f: (a, b) => F.where(F.greater(a, 0), a, b), inputs: [awayFromZero(shape, 2), x(shape, 3)] });
  });

  it('where with a condition that picks whole rows', () => {
    const rows = hostTensor('bool', [4, 1, 1, 1], Uint8Array.of(1, 0, 0, 1));
    check({ f: (a, b) => F.where(F.constant(rows), F.mul(a, a), b), inputs: [x([4, 3, 2, 5], 4), x([4, 3, 2, 5], 5)] });
  });

  it('softmax over channels, width, and the last axis of a matrix', () => {
    check({ f: (a) => F.softmax(a, 1), inputs: [x(shape)] });
    check({ f: (a) => F.softmax(a, 3), inputs: [x(shape)] });
    check({ f: (a) => F.softmax(a, -1), inputs: [x([3, 5])] });
  });

  it('log-softmax over channels and the last axis of a matrix', () => {
    check({ f: (a) => F.logSoftmax(a, 1), inputs: [x(shape)] });
    check({ f: (a) => F.logSoftmax(a, -1), inputs: [scaled([3, 5], 1, 3)] });
  });

  it('reduce sum and mean, with and without keepDims', () => {
    for (const keep of [false, true]) {
      check({ f: (a) => F.sum(a, [1], keep), inputs: [x(shape)] });
      check({ f: (a) => F.mean(a, [2, 3], keep), inputs: [x(shape)] });
      check({ f: (a) => F.sum(a, [0, 1], keep), inputs: [x([3, 4, 5])] });
    }
  });

  it('reduce max and min (no ties)', () => {
    check({ f: (a) => F.max(a, [1], false), inputs: [distinctHost(shape, 1)] });
    check({ f: (a) => F.min(a, [2, 3], true), inputs: [distinctHost(shape, 2)] });
  });
});

describeOnBackends('tfjs gradients: layout and spatial', (h) => {
  const check = (c: GradCheck) => expectGradient(h.engine, c);
  const x = (shape: number[], seed = 1) => randomHost(shape, seed);

  it('reshape, flatten and transpose', () => {
    check({ f: (a) => F.reshape(a, [2, 6, 4]), inputs: [x([2, 3, 2, 4])] });
    check({ f: (a) => F.flatten(a, 1), inputs: [x([2, 3, 2, 2])] });
    check({ f: (a) => F.transpose(a, [0, 2, 3, 1]), inputs: [x([2, 3, 2, 4])] });
    check({ f: (a) => F.transpose(a, [1, 0, 2]), inputs: [x([2, 3, 4])] });
  });

  it('concat along channels and width, slice, tile', () => {
    check({ f: (a, b) => F.concat([a, b], 1), inputs: [x([1, 2, 3, 3]), x([1, 3, 3, 3], 2)] });
    check({ f: (a, b) => F.concat([a, b], 3), inputs: [x([1, 2, 3, 2]), x([1, 2, 3, 4], 2)] });
    check({ f: (a) => F.slice(a, [0, 1, 1, 0], [1, 2, 2, 3]), inputs: [x([2, 4, 3, 4])] });
    check({ f: (a) => F.tile(a, [1, 2, 1, 3]), inputs: [x([1, 2, 2, 2])] });
    check({ f: (a) => F.tile(a, [2, 3]), inputs: [x([2, 2])] });
  });

  const resizeCases: [string, number[], [number, number], 'nearest' | 'bilinear', boolean][] = [
    ['nearest x2', [1, 2, 3, 4], [6, 8], 'nearest', false],
    ['nearest 5x4 -> 7x9', [2, 2, 5, 4], [7, 9], 'nearest', false],
    ['nearest 7x6 -> 3x4', [1, 2, 7, 6], [3, 4], 'nearest', false],
    ['bilinear x2, align_corners=False', [2, 2, 3, 4], [6, 8], 'bilinear', false],
    ['bilinear 4x5 -> 7x3, align_corners=False', [1, 2, 4, 5], [7, 3], 'bilinear', false],
    ['bilinear 3x4 -> 7x9, align_corners=True', [1, 2, 3, 4], [7, 9], 'bilinear', true],
    ['bilinear 6x5 -> 4x3, align_corners=True', [2, 1, 6, 5], [4, 3], 'bilinear', true],
  ];
  for (const [title, xs, size, mode, alignCorners] of resizeCases) {
    it(`resize ${title}`, () => check({ f: (a) => F.interpolate(a, { size, mode, alignCorners }), inputs: [x(xs)] }));
  }

  it('max pool: padding, stride, ceil mode', () => {
    check({ f: (a) => F.maxPool2d(a, 2), inputs: [distinctHost([1, 2, 4, 6], 1)] });
    check({ f: (a) => F.maxPool2d(a, 3, { stride: 2, padding: 1 }), inputs: [distinctHost([2, 2, 7, 6], 2)] });
    check({ f: (a) => F.maxPool2d(a, 3, { stride: 2, ceilMode: true }), inputs: [distinctHost([1, 2, 6, 8], 3)] });
  });

  it("max pool kernel 1 stride 2 (FPN's extra level): a strided subsample, odd and even sizes", () => {
    check({ f: (a) => F.maxPool2d(a, 1, { stride: 2 }), inputs: [distinctHost([2, 2, 4, 5], 4)] });
    check({ f: (a) => F.maxPool2d(a, 1, { stride: 2 }), inputs: [distinctHost([1, 3, 3, 3], 5)] });
  });

  it('avg pool: padding counted or not, ceil mode', () => {
    check({ f: (a) => F.avgPool2d(a, 2), inputs: [x([1, 2, 4, 6])] });
    check({ f: (a) => F.avgPool2d(a, 3, { stride: 2, padding: 1 }), inputs: [x([2, 2, 7, 6])] });
    check({ f: (a) => F.avgPool2d(a, 3, { stride: 2, padding: 1, countIncludePad: false }), inputs: [x([1, 2, 7, 6])] });
    check({ f: (a) => F.avgPool2d(a, 3, { stride: 2, ceilMode: true }), inputs: [x([1, 2, 6, 8])] });
  });

  it('global average pool', () => {
    check({ f: (a) => F.globalAvgPool(a), inputs: [x([2, 3, 4, 5])] });
  });

  it('gather along axis 0 and 1, with repeated indices', () => {
    const idx = hostTensor('int32', [4], Int32Array.of(2, 0, 2, 1));
    check({ f: (a, i) => F.gather(a, i, 0), inputs: [x([3, 4]), idx], wrt: [0] });
    check({ f: (a, i) => F.gather(a, i, 1), inputs: [x([2, 3, 2]), idx], wrt: [0] });
    check({ f: (a, i) => F.gather(a, i, 1), inputs: [x([1, 3, 2, 2]), idx], wrt: [0] });
    // rows of 256 values: gathered by host row copies, with the gradient added back per row
    check({ f: (a, i) => F.gather(F.mul(a, a), i, 0), inputs: [x([3, 16, 4, 4]), idx], wrt: [0], samples: 16 });
  });
});
