/**
 * The onnxruntime convolution kernels against direct loops, on wasm and cpu: every call here
 * must reach onnxruntime (counted), and what they do not cover must reach the kernel below.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../../../../src/core/random';
import { currentMinMacs, ortCalls, setMinMacs } from '../../../../../src/engines/tfjs/kernels/ort/kernel-set';
import { toOrtFilter } from '../../../../../src/engines/tfjs/kernels/ort/filter-layout';
import { describeOnBackends } from '../../../../core/helpers/backends';
import { withKernelSet } from '../../helpers/kernel-sets';
import { outSize, referenceConvForward, referenceConvGrads, type RefGeometry } from '../../helpers/reference-conv';

const rand = (shape: number[], seed: number) => tf.tensor(new Random(seed).normalArray(shape.reduce((a, b) => a * b, 1)), shape);

function expectClose(got: tf.Tensor, want: ArrayLike<number>, tol = 1e-4): void {
  const g = got.dataSync();
  expect(g.length).to.equal(want.length);
  let worst = 0;
  for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i] - want[i]) / (1 + Math.abs(want[i])));
  expect(worst, 'largest relative difference').to.be.below(tol);
}

/** Calls of `kernel` that onnxruntime ran while `f` ran. */
function ortRuns<T>(kernel: string, f: () => T): [T, number] {
  const before = ortCalls.ort.get(kernel) ?? 0;
  const out = f();
  return [out, (ortCalls.ort.get(kernel) ?? 0) - before];
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
  /** [top, bottom, left, right] */
  pad: [number, number, number, number];
}

const CASES: Case[] = [
  { title: '3x3 stride 1 pad 1', n: 2, hw: [7, 8], cin: 3, cout: 4, k: [3, 3], stride: [1, 1], dilation: [1, 1], pad: [1, 1, 1, 1] },
  { title: '3x3 stride 2, odd input', n: 2, hw: [9, 7], cin: 3, cout: 5, k: [3, 3], stride: [2, 2], dilation: [1, 1], pad: [1, 1, 1, 1] },
  { title: "stride 2, 'same'-like padding (more after)", n: 1, hw: [8, 7], cin: 3, cout: 4, k: [3, 3], stride: [2, 2], dilation: [1, 1], pad: [0, 1, 1, 1] },
  { title: 'stride (2, 3), pad (0, 2), rows never reached', n: 1, hw: [10, 11], cin: 2, cout: 3, k: [3, 3], stride: [2, 3], dilation: [1, 1], pad: [0, 0, 2, 2] },
  { title: '1x1 stride 1 (a matrix product)', n: 2, hw: [5, 6], cin: 7, cout: 3, k: [1, 1], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0] },
  { title: '1x1 stride 2 with padding', n: 1, hw: [8, 8], cin: 2, cout: 3, k: [1, 1], stride: [2, 2], dilation: [1, 1], pad: [1, 1, 0, 0] },
  { title: '5x3 kernel stride (3, 2)', n: 1, hw: [7, 9], cin: 3, cout: 2, k: [5, 3], stride: [3, 2], dilation: [1, 1], pad: [2, 2, 1, 1] },
  { title: 'padding beyond the kernel reach', n: 1, hw: [5, 5], cin: 2, cout: 2, k: [3, 3], stride: [1, 1], dilation: [1, 1], pad: [3, 3, 3, 3] },
];

const DILATED: Case[] = [
  { title: 'dilation 2', n: 1, hw: [9, 9], cin: 2, cout: 2, k: [3, 3], stride: [1, 1], dilation: [2, 2], pad: [2, 2, 2, 2] },
  { title: 'stride 2 with dilation (2, 3)', n: 1, hw: [12, 11], cin: 2, cout: 3, k: [3, 2], stride: [2, 2], dilation: [2, 3], pad: [3, 3, 1, 1] },
];

function geometry(c: Case, groups = 1, cout = c.cout): RefGeometry {
  if (c.pad[0] !== c.pad[1] || c.pad[2] !== c.pad[3]) {
    // the reference pads the same on both sides; extra rows after only lengthen the output
    const outH = outSize(c.hw[0], c.k[0], c.stride[0], c.dilation[0], c.pad[0], c.pad[1]);
    const outW = outSize(c.hw[1], c.k[1], c.stride[1], c.dilation[1], c.pad[2], c.pad[3]);
    return { n: c.n, h: c.hw[0], w: c.hw[1], cin: c.cin, cout, kh: c.k[0], kw: c.k[1], stride: c.stride, dilation: c.dilation, pad: [c.pad[0], c.pad[2]], outH, outW, groups };
  }
  return {
    n: c.n, h: c.hw[0], w: c.hw[1], cin: c.cin, cout, kh: c.k[0], kw: c.k[1], stride: c.stride, dilation: c.dilation, pad: [c.pad[0], c.pad[2]],
    outH: outSize(c.hw[0], c.k[0], c.stride[0], c.dilation[0], c.pad[0]),
    outW: outSize(c.hw[1], c.k[1], c.stride[1], c.dilation[1], c.pad[2]),
    groups,
  };
}

const explicitPad = (c: Case) => [[0, 0], [c.pad[0], c.pad[1]], [c.pad[2], c.pad[3]], [0, 0]];
const convAttrs = (c: Case) => ({ strides: c.stride, dilations: c.dilation, pad: explicitPad(c), dataFormat: 'NHWC' });

describeOnBackends('ort kernels: convolution', () => {
  withKernelSet('ort');

  for (const c of [...CASES, ...DILATED]) {
    it(`Conv2D and DepthwiseConv2dNative, ${c.title}`, () => {
      const r = geometry(c);
      const x = rand([c.n, c.hw[0], c.hw[1], c.cin], 1);
      const w = rand([c.k[0], c.k[1], c.cin, c.cout], 2);
      const [y, runs] = ortRuns(tf.Conv2D, () => tf.engine().runKernel(tf.Conv2D, { x, filter: w }, convAttrs(c)) as tf.Tensor);
      expect(runs).to.equal(1);
      expectClose(y, referenceConvForward(x.dataSync(), w.dataSync(), r));
      // depthwise with channel multiplier 2: output c * 2 + q
      const wd = rand([c.k[0], c.k[1], c.cin, 2], 3);
      const [yd, druns] = ortRuns(tf.DepthwiseConv2dNative, () => tf.engine().runKernel(tf.DepthwiseConv2dNative, { x, filter: wd }, convAttrs(c)) as tf.Tensor);
      expect(druns).to.equal(1);
      expectClose(yd, referenceConvForward(x.dataSync(), wd.dataSync(), geometry(c, c.cin, 2 * c.cin)));
    });
  }

  for (const c of CASES) {
    it(`Conv2DBackpropInput and Conv2DBackpropFilter, ${c.title}`, () => {
      const r = geometry(c);
      const x = rand([c.n, c.hw[0], c.hw[1], c.cin], 4);
      const w = rand([c.k[0], c.k[1], c.cin, c.cout], 5);
      const dy = rand([c.n, r.outH, r.outW, c.cout], 6);
      const want = referenceConvGrads(x.dataSync(), w.dataSync(), dy.dataSync(), r);
      const attrs = { strides: c.stride, pad: explicitPad(c), dataFormat: 'NHWC' };
      const [dx, xr] = ortRuns(tf.Conv2DBackpropInput, () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, { ...attrs, inputShape: x.shape }) as tf.Tensor);
      const [dw, wr] = ortRuns(tf.Conv2DBackpropFilter, () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor);
      expect([xr, wr]).to.deep.equal([1, 1]);
      expectClose(dx, want.dx);
      expectClose(dw, want.dw);
    });
  }

  it("tf.conv2dTranspose (Conv2DBackpropInput as a forward op), 'same' padding", () => {
    const x = rand([1, 5, 4, 3], 7);
    const w = rand([3, 3, 2, 3], 8); // [kh, kw, out channels of the transpose, its in channels]
    const r: RefGeometry = { n: 1, h: 10, w: 8, cin: 2, cout: 3, kh: 3, kw: 3, stride: [2, 2], dilation: [1, 1], pad: [0, 0], outH: 5, outW: 4, groups: 1 };
    // TensorFlow's 'same' at stride 2 on 10x8: total padding 1, all of it after
    const [y, runs] = ortRuns(tf.Conv2DBackpropInput, () => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [1, 10, 8, 2], 2, 'same'));
    expect(runs).to.equal(1);
    expectClose(y, referenceConvGrads(new Float32Array(160), w.dataSync(), x.dataSync(), r).dx);
  });

  it('FusedConv2D: per-channel bias with relu, relu6, leakyrelu, sigmoid, elu and prelu; scalar bias', () => {
    const c = CASES[1];
    const x = rand([c.n, c.hw[0], c.hw[1], c.cin], 9);
    const w = rand([3, 3, c.cin, c.cout], 10);
    const bias = rand([c.cout], 11);
    const alphaW = rand([c.cout], 12);
    const plain = referenceConvForward(x.dataSync(), w.dataSync(), geometry(c));
    const b = bias.dataSync();
    const a = alphaW.dataSync();
    const acts: Record<string, (v: number, ch: number) => number> = {
      linear: (v) => v,
      relu: (v) => Math.max(v, 0),
      relu6: (v) => Math.min(Math.max(v, 0), 6),
      leakyrelu: (v) => (v > 0 ? v : 0.1 * v),
      sigmoid: (v) => 1 / (1 + Math.exp(-v)),
      elu: (v) => (v > 0 ? v : Math.exp(v) - 1),
      prelu: (v, ch) => (v > 0 ? v : a[ch] * v),
    };
    for (const [activation, f] of Object.entries(acts)) {
      for (const pointwise of [false, true]) {
        const filter = pointwise ? rand([1, 1, c.cin, c.cout], 13) : w;
        const ref = pointwise ? referenceConvForward(x.dataSync(), filter.dataSync(), { ...geometry(c), kh: 1, kw: 1, stride: [1, 1], pad: [0, 0], outH: c.hw[0], outW: c.hw[1] }) : plain;
        const [y, runs] = ortRuns(tf.FusedConv2D, () =>
          tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides: pointwise ? 1 : c.stride, pad: pointwise ? 'valid' : (explicitPad(c) as never), bias, activation: activation as never, preluActivationWeights: alphaW, leakyreluAlpha: 0.1 }),
        );
        expect(runs, `${activation}${pointwise ? ' 1x1' : ''}`).to.equal(1);
        expectClose(y, ref.map((v, i) => f(v + b[i % c.cout], i % c.cout)));
      }
    }
    const [y, runs] = ortRuns(tf.FusedConv2D, () => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: c.stride, pad: explicitPad(c) as never, bias: tf.scalar(0.5) }));
    expect(runs).to.equal(1);
    expectClose(y, plain.map((v) => v + 0.5));
  });

  it('a filter used again is kept in onnxruntime layout, with the same results', () => {
    const c = CASES[0];
    const x = rand([c.n, c.hw[0], c.hw[1], c.cin], 14);
    const w = rand([3, 3, c.cin, c.cout], 15);
    const want = referenceConvForward(x.dataSync(), w.dataSync(), geometry(c));
    for (let i = 0; i < 3; i++) expectClose(tf.engine().runKernel(tf.Conv2D, { x, filter: w }, convAttrs(c)) as tf.Tensor, want);
    // the layout itself: [kh, kw, in, out] -> [out, in, kh, kw]
    const f = Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => i);
    const t = toOrtFilter(f, [2, 3, 4, 5]);
    expect(t[((4 * 4 + 3) * 2 + 1) * 3 + 2]).to.equal(f[((1 * 3 + 2) * 4 + 3) * 5 + 4]);
  });

  it('hands what it does not cover to the kernel below: NCHW data, int32, calls under the size rule', () => {
    const below = () => [...ortCalls.below.values()].reduce((a, b) => a + b, 0);
    const start = below();
    const x = rand([1, 4, 5, 6], 16);
    const w = rand([3, 3, 2, 3], 17);
    // NCHW: tfjs's own kernels accept it on cpu only; the call must at least not reach onnxruntime
    const [, runs] = ortRuns(tf.Conv2D, () => {
      try {
        tf.engine().runKernel(tf.Conv2D, { x, filter: w }, { strides: 1, dilations: 1, pad: 'same', dataFormat: 'NCHW' });
      } catch {
        // the backend below may refuse NCHW: that is its answer, not onnxruntime's
      }
    });
    expect(runs).to.equal(0);
    const xi = tf.cast(rand([1, 4, 5, 2], 18), 'int32');
    const [, r2] = ortRuns(tf.Conv2D, () => {
      try {
        tf.engine().runKernel(tf.Conv2D, { x: xi, filter: tf.cast(w, 'int32') }, { strides: 1, dilations: 1, pad: 'same', dataFormat: 'NHWC' });
      } catch {
        // as above
      }
    });
    expect(r2).to.equal(0);
    // below the size rule
    const xs = rand([1, 4, 5, 2], 19);
    const r: RefGeometry = { n: 1, h: 4, w: 5, cin: 2, cout: 3, kh: 3, kw: 3, stride: [1, 1], dilation: [1, 1], pad: [1, 1], outH: 4, outW: 5, groups: 1 };
    const rule = currentMinMacs();
    setMinMacs({ ...rule, conv: 1e12 });
    try {
      const [y, r3] = ortRuns(tf.Conv2D, () => tf.conv2d(xs as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'));
      expect(r3).to.equal(0);
      expectClose(y, referenceConvForward(xs.dataSync(), w.dataSync(), r));
    } finally {
      setMinMacs(rule);
    }
    expect(below()).to.be.greaterThan(start);
  });
});
