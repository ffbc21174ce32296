/**
 * The tfjs engine's convolution (NHWC data, filter [kh, kw, in/groups, out]) with its own
 * gradient: tfjs's Conv2D and DepthwiseConv2dNative gradients refuse dilation > 1 and, on
 * wasm, need kernels that are missing or slow. The gradient formulations live in conv-grad.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Conv2dOptions } from '../../core/engine';
import { symmetricGeometry, type ConvGeometry } from './conv-geometry';
import { filterGradient, inputGradient } from './conv-grad';
import { recordingGradients } from './recording';

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

/** conv2d with PyTorch semantics (symmetric padding, stride and dilation together, groups). */
export function conv2dNHWC(x: tf.Tensor4D, w: tf.Tensor4D, o: Conv2dOptions): tf.Tensor4D {
  const [kh, kw] = w.shape;
  const cin = x.shape[3];
  const cout = w.shape[3];
  const g = symmetricGeometry(x.shape[1], x.shape[2], [kh, kw], o.stride, o.dilation, o.padding);
  if (o.groups === 1) return denseConv(x, w, g);
  if (o.groups === cin) {
    // depthwise, channel multiplier m: tfjs wants [kh, kw, C, m]; its output c*m+j is PyTorch's too
    return depthwiseConv(x, tf.reshape(w, [kh, kw, cin, cout / cin]), g);
  }
  const xs = tf.split(x, o.groups, 3) as tf.Tensor4D[];
  const ws = tf.split(w, o.groups, 3) as tf.Tensor4D[];
  return tf.concat(
    xs.map((xi, i) => denseConv(xi, ws[i], g)),
    3,
  );
}

function explicitPad(g: ConvGeometry): Pad4 {
  return [
    [0, 0],
    [g.h.padBefore, g.h.padBefore],
    [g.w.padBefore, g.w.padBefore],
    [0, 0],
  ];
}

/**
 * The forward op itself. tfjs takes a stride or a dilation, not both: with both, convolve
 * densely and keep every stride-th output.
 */
export function convForward(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry, depthwise: boolean): tf.Tensor4D {
  const stride: [number, number] = [g.h.stride, g.w.stride];
  const dilation: [number, number] = [g.h.dilation, g.w.dilation];
  const both = (stride[0] > 1 || stride[1] > 1) && (dilation[0] > 1 || dilation[1] > 1);
  const s: [number, number] = both ? [1, 1] : stride;
  const y = depthwise
    ? tf.depthwiseConv2d(x, w, s, explicitPad(g), 'NHWC', dilation)
    : tf.conv2d(x, w, s, explicitPad(g), 'NHWC', dilation);
  if (!both) return y;
  return tf.stridedSlice(y, [0, 0, 0, 0], y.shape, [1, stride[0], stride[1], 1]) as tf.Tensor4D;
}

function denseConv(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return withGrad(x, w, (xi, wi) => convForward(xi, wi, g, false), (dy, xs, ws) => [
    inputGradient(dy, ws, g, xs.shape),
    filterGradient(xs, dy, g, ws.shape),
  ]);
}

function depthwiseConv(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return withGrad(x, w, (xi, wi) => convForward(xi, wi, g, true), (dy, xs, ws) => depthwiseGrads(dy, xs, ws, g));
}

/**
 * Gradients of a depthwise conv with channel multiplier m: output channel c*m+q sees input
 * channel c through filter [.., c, q], so each q is a multiplier-1 depthwise conv of its own.
 */
function depthwiseGrads(dy: tf.Tensor4D, x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): [tf.Tensor4D, tf.Tensor4D] {
  const m = w.shape[3];
  if (m === 1) return [inputGradient(dy, w, g, x.shape, true), filterGradient(x, dy, g, w.shape, true)];
  const [kh, kw, c] = w.shape;
  const dxs: tf.Tensor4D[] = [];
  const dws: tf.Tensor4D[] = [];
  for (let q = 0; q < m; q++) {
    const dyq = tf.stridedSlice(dy, [0, 0, 0, q], dy.shape, [1, 1, 1, m]) as tf.Tensor4D;
    const wq = tf.slice(w, [0, 0, 0, q], [kh, kw, c, 1]);
    dxs.push(inputGradient(dyq, wq, g, x.shape, true));
    dws.push(filterGradient(x, dyq, g, wq.shape, true));
  }
  return [tf.addN(dxs), tf.concat(dws, 3)];
}

/** y = f(x, w) with the gradient (dx, dw) = grad(dy, x, w). */
export function withGrad(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  f: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D,
  grad: (dy: tf.Tensor4D, x: tf.Tensor4D, w: tf.Tensor4D) => [tf.Tensor4D, tf.Tensor4D],
): tf.Tensor4D {
  // inference: no tape, so skip the custom-gradient wrapper (its bookkeeping shows on small convs)
  if (!recordingGradients()) return f(x, w);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, wi, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([xi, wi]);
    return {
      value: f(xi, wi),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => grad(dy, saved[0] as tf.Tensor4D, saved[1] as tf.Tensor4D),
    };
  });
  return op(x, w);
}
