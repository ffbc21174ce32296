/**
 * The tfjs engine's transposed convolution (NHWC data). A transposed convolution is the input
 * gradient of the convolution with the same weight and geometry, so it reuses that machinery:
 * forward = the conv input gradient (the backend's Conv2DBackpropInput kernel where it can
 * express the geometry, else hrdet's stride-phase formulation), input gradient = the conv
 * forward, weight gradient = the conv filter gradient with the roles of x and dy swapped.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConvTranspose2dOptions } from '../../core/engine';
import { convTransposeOutSize } from '../../core/ops';
import type { ConvAxis, ConvGeometry } from './conv-geometry';
import { filterGradient, inputGradient } from './conv-grad';
import { convForward, withGrad } from './conv2d';

/**
 * x [N, H, W, in], filter [kh, kw, out/groups, in] (the PyTorch weight [in, out/groups, kh, kw]
 * in the engine's conv filter order) → [N, H', W', out].
 */
export function convTranspose2dNHWC(x: tf.Tensor4D, w: tf.Tensor4D, o: ConvTranspose2dOptions): tf.Tensor4D {
  const [kh, kw, outPerGroup, cin] = w.shape;
  const g = transposedGeometry(x.shape[1], x.shape[2], [kh, kw], o);
  if (o.groups === 1) return dense(x, w, g);
  if (o.groups === cin && outPerGroup === 1) return depthwise(x, tf.reshape(w, [kh, kw, cin, 1]), g);
  const xs = tf.split(x, o.groups, 3) as tf.Tensor4D[];
  const ws = tf.split(w, o.groups, 3) as tf.Tensor4D[];
  return tf.concat(
    xs.map((xi, i) => dense(xi, ws[i], g)),
    3,
  );
}

/**
 * The geometry of the convolution this transposes: its input is the transposed conv's
 * output (inSize), its output the transposed conv's input (outSize).
 */
function transposedGeometry(h: number, w: number, kernel: readonly [number, number], o: ConvTranspose2dOptions): ConvGeometry {
  const axis = (i: 0 | 1, size: number): ConvAxis => ({
    inSize: convTransposeOutSize(size, kernel[i], o.stride[i], o.padding[i], o.dilation[i], o.outputPadding[i]),
    outSize: size,
    kernel: kernel[i],
    stride: o.stride[i],
    dilation: o.dilation[i],
    padBefore: o.padding[i],
  });
  return { h: axis(0, h), w: axis(1, w) };
}

const outShape = (x: tf.Tensor4D, g: ConvGeometry, channels: number) => [x.shape[0], g.h.inSize, g.w.inSize, channels];

/**
 * The conv forward over the transposed output covers exactly the transposed input, except
 * when output_padding ≥ stride (allowed below the dilation): then crop its extra positions.
 */
function fitTo(y: tf.Tensor4D, shape: readonly number[]): tf.Tensor4D {
  if (y.shape[1] === shape[1] && y.shape[2] === shape[2]) return y;
  return tf.slice(y, [0, 0, 0, 0], [y.shape[0], shape[1], shape[2], y.shape[3]]);
}

function dense(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return withGrad(x, w, (xi, wi) => inputGradient(xi, wi, g, outShape(xi, g, wi.shape[2])), (dy, xs, ws) => [
    fitTo(convForward(dy, ws, g, false), xs.shape),
    filterGradient(dy, xs, g, ws.shape),
  ]);
}

function depthwise(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return withGrad(x, w, (xi, wi) => inputGradient(xi, wi, g, outShape(xi, g, wi.shape[2]), true), (dy, xs, ws) => [
    fitTo(convForward(dy, ws, g, true), xs.shape),
    filterGradient(dy, xs, g, ws.shape, true),
  ]);
}
