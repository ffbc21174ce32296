/**
 * Convolution kernels on onnxruntime: Conv2D, FusedConv2D, DepthwiseConv2dNative,
 * FusedDepthwiseConv2D, Conv2DBackpropInput (which tf.conv2dTranspose runs too) and
 * Conv2DBackpropFilter, NHWC data, tfjs filter layout [kh, kw, in, out].
 *
 * onnxruntime's Conv is NCHW: the model transposes the data in and the result out. A 1x1
 * stride-1 unpadded convolution is a matrix product over positions, which needs no transpose:
 * the NHWC data is handed over as a [positions, channels] matrix.
 *
 * Each function returns null for a call it does not cover (NCHW data, a non-float dtype, an
 * empty tensor, a bias or PReLU weight that is not per channel); the caller hands those to the
 * kernel below.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelArgs } from '../kernel-registry';
import { elementwiseActivation, isFusedActivation, type FusedActivation } from './fused-activation';
import { attr, OpModel } from './op-model';
import { sessionCache } from './session-cache';
import { cachedOrtFilter } from './filter-layout';
import { runSession, type Feed } from './tensor-exchange';

type Info = tf.backend_util.Conv2DInfo;
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Multiply-adds of a convolution: what the size rule weighs. */
export function convMacs(info: Info, depthwise: boolean): number {
  const perOutput = info.filterHeight * info.filterWidth * (depthwise ? 1 : info.inChannels);
  return info.batchSize * info.outHeight * info.outWidth * info.outChannels * perOutput;
}

interface ForwardSpec {
  x: number[];
  f: number[];
  info: Info;
  depthwise: boolean;
  /** 'cout': one value per output channel; 'one': a single value; null: none */
  bias: 'cout' | 'one' | null;
  prelu: 'cout' | 'one' | null;
  activation: FusedActivation;
  alpha: number;
  /** 'ort': the filter comes already in onnxruntime's layout (filter-layout's cache). */
  filterLayout: 'tfjs' | 'ort';
}

export function pads(info: Info): number[] {
  const p = info.padInfo;
  return [p.top, p.left, p.bottom, p.right];
}

const unpadded = (info: Info) => pads(info).every((v) => v === 0);

/** A 1x1 stride-1 convolution without padding: y[p, :] = x[p, :] x filter (dilation cannot matter). */
export function isPointwise(info: Info): boolean {
  return info.filterHeight === 1 && info.filterWidth === 1 && info.strideHeight === 1 && info.strideWidth === 1 && unpadded(info);
}

export function convInfo(x: number[], f: number[], a: tf.NamedAttrMap, depthwise: boolean): Info {
  const attrs = a as unknown as tf.Conv2DAttrs;
  return tf.backend_util.computeConv2DInfo(
    x as [number, number, number, number],
    f as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    'channelsLast',
  );
}

export function convAttrs(info: Info, group: number) {
  return {
    kernel_shape: attr.ints([info.filterHeight, info.filterWidth]),
    strides: attr.ints([info.strideHeight, info.strideWidth]),
    dilations: attr.ints([info.dilationHeight, info.dilationWidth]),
    pads: attr.ints(pads(info)),
    group: attr.int(group),
  };
}

/** The filter as a dense [kh, kw, in, out] one: depthwise [kh, kw, C, mult] is [kh, kw, 1, C * mult]. */
const ortFilterDims = (f: number[], depthwise: boolean) => (depthwise ? [f[0], f[1], 1, f[2] * f[3]] : f);

const vectorDims = (kind: 'cout' | 'one', cout: number) => (kind === 'cout' ? [cout] : [1]);

function forwardModel(s: ForwardSpec) {
  const m = new OpModel();
  const { info } = s;
  const [n, h, w, cin] = s.x;
  const cout = info.outChannels;
  const outNHWC = [n, info.outHeight, info.outWidth, cout];
  let y: string;
  let dims: number[];
  if (!s.depthwise && isPointwise(info)) {
    const x = m.input('x', [n * h * w, cin]);
    const f = m.input('filter', [cin, cout]);
    dims = [n * h * w, cout];
    y = s.bias === 'cout' ? m.node('Gemm', [x, f, m.input('bias', [cout])], dims) : m.node('MatMul', [x, f], dims);
    y = elementwiseActivation(m, y, dims, s.activation, s.alpha);
  } else {
    const x = m.transpose(m.input('x', s.x), [0, 3, 1, 2], s.x);
    // depthwise [kh, kw, C, mult] is read as [kh, kw, 1, C * mult]: group C, one input channel each
    const fDims = ortFilterDims(s.f, s.depthwise);
    const f = s.filterLayout === 'ort' ? m.input('filter', [fDims[3], fDims[2], fDims[0], fDims[1]]) : m.transpose(m.input('filter', fDims), [3, 2, 0, 1], fDims);
    const inputs = [x, f];
    if (s.bias === 'cout') inputs.push(m.input('bias', [cout]));
    dims = [n, cout, info.outHeight, info.outWidth];
    y = m.node('Conv', inputs, dims, convAttrs(info, s.depthwise ? cin : 1));
    y = elementwiseActivation(m, y, dims, s.activation, s.alpha);
    y = m.transpose(y, [0, 2, 3, 1], dims);
    dims = outNHWC;
  }
  if (s.bias === 'one') y = m.node('Add', [y, m.input('bias', [1])], dims);
  if (s.prelu) y = m.node('PRelu', [y, m.input('prelu', vectorDims(s.prelu, cout))], dims);
  return m.encode(y);
}

/** How a per-channel vector input is fed, or undefined when it is not one. */
function vectorKind(t: tf.TensorInfo | undefined, cout: number): 'cout' | 'one' | null | undefined {
  if (!t) return null;
  if (t.dtype !== 'float32') return undefined;
  const n = prod(t.shape);
  return n === cout ? 'cout' : n === 1 ? 'one' : undefined;
}

export const channelsLast = (a: tf.NamedAttrMap) => (a.dataFormat ?? 'NHWC') === 'NHWC';
export const floats = (...ts: (tf.TensorInfo | undefined)[]) => ts.every((t) => !t || (t.dtype === 'float32' && prod(t.shape) > 0));

/** Conv2D, FusedConv2D, DepthwiseConv2dNative or FusedDepthwiseConv2D; `minMacs`: the size rule. */
export function ortConvForward(args: KernelArgs, depthwise: boolean, minMacs: number): tf.TensorInfo | null {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const a = args.attrs ?? {};
  if (!x || !filter || !channelsLast(a) || !floats(x, filter, bias, preluActivationWeights)) return null;
  const info = convInfo([...x.shape], [...filter.shape], a, depthwise);
  if (convMacs(info, depthwise) < minMacs) return null;
  const activation = (a.activation as string | undefined) ?? 'linear';
  if (!isFusedActivation(activation)) return null;
  const biasKind = vectorKind(bias, info.outChannels);
  const preluKind = activation === 'prelu' ? vectorKind(preluActivationWeights, info.outChannels) : null;
  if (biasKind === undefined || preluKind === undefined || (activation === 'prelu' && !preluKind)) return null;
  // a scalar bias is added after the transpose; an activation would have to follow it
  if (biasKind === 'one' && activation !== 'linear' && activation !== 'prelu') return null;
  const backend = args.backend as tf.KernelBackend;
  const pointwise = !depthwise && isPointwise(info);
  const fDims = ortFilterDims([...filter.shape], depthwise);
  const kept = pointwise ? null : cachedOrtFilter(filter.dataId, fDims, () => backend.readSync(filter.dataId) as Float32Array);
  const spec: ForwardSpec = {
    x: [...x.shape],
    f: [...filter.shape],
    info,
    depthwise,
    bias: biasKind,
    prelu: preluKind,
    activation,
    alpha: Number(a.leakyreluAlpha ?? 0.2),
    filterLayout: kept ? 'ort' : 'tfjs',
  };
  const key = `conv|${JSON.stringify([spec.x, spec.f, pads(info), info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, depthwise, biasKind, preluKind, activation, spec.alpha, spec.filterLayout])}`;
  const model = sessionCache.get(key, () => forwardModel(spec));
  const feeds: Record<string, Feed> = { x, filter: kept ?? filter };
  if (bias) feeds.bias = bias;
  if (preluKind) feeds.prelu = preluActivationWeights!;
  return runSession(backend, model, feeds, [x.shape[0], info.outHeight, info.outWidth, info.outChannels]);
}
