/**
 * Convolution gradients on onnxruntime (NHWC data, filter [kh, kw, in, out], no dilation: the
 * tfjs kernels take none).
 *
 * - Conv2DBackpropInput (dx, also tf.conv2dTranspose's forward): ConvTranspose of dy with the
 *   filter, output_padding making up the input rows the forward conv never reached.
 * - Conv2DBackpropFilter (dW): dW[ci, co, ky, kx] = sum over n, y, x of
 *   xpad[n, ci, y * s + ky, x * s + kx] * dy[n, co, y, x], which is a Conv of x laid out
 *   [in, N, H, W] (a batch of `in` images of N channels) by dy laid out [out, N, OH, OW] (`out`
 *   filters whose kernel is the output size), dilated by the forward stride.
 * A 1x1 stride-1 unpadded convolution needs neither: both are one Gemm over positions.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelArgs } from '../kernel-registry';
import { attr, OpModel } from './op-model';
import { channelsLast, convInfo, convMacs, floats, isPointwise, pads } from './ort-conv';
import { sessionCache } from './session-cache';
import { runSession } from './tensor-exchange';

type Info = tf.backend_util.Conv2DInfo;

function geometryKey(info: Info): string {
  return JSON.stringify([pads(info), info.strideHeight, info.strideWidth, info.filterHeight, info.filterWidth]);
}

function inputGradModel(dyShape: number[], fShape: number[], inShape: number[], info: Info) {
  const m = new OpModel();
  const [n, oh, ow, cout] = dyShape;
  const cin = inShape[3];
  if (isPointwise(info)) {
    const dy = m.input('dy', [n * oh * ow, cout]);
    const f = m.input('filter', [cin, cout]);
    return m.encode(m.node('Gemm', [dy, f], [n * oh * ow, cin], { transB: attr.int(1) }));
  }
  const dy = m.transpose(m.input('dy', dyShape), [0, 3, 1, 2], dyShape);
  const f = m.transpose(m.input('filter', fShape), [3, 2, 0, 1], fShape);
  const p = pads(info);
  const reach = (out: number, stride: number, k: number, before: number, after: number) => stride * (out - 1) + k - before - after;
  const outputPadding = [inShape[1] - reach(oh, info.strideHeight, info.filterHeight, p[0], p[2]), inShape[2] - reach(ow, info.strideWidth, info.filterWidth, p[1], p[3])];
  const dims = [n, cin, inShape[1], inShape[2]];
  const dx = m.node('ConvTranspose', [dy, f], dims, {
    kernel_shape: attr.ints([info.filterHeight, info.filterWidth]),
    strides: attr.ints([info.strideHeight, info.strideWidth]),
    pads: attr.ints(p),
    output_padding: attr.ints(outputPadding),
  });
  return m.encode(m.transpose(dx, [0, 2, 3, 1], dims));
}

/** output_padding must lie in [0, stride): else the geometry is not one ConvTranspose expresses. */
function transposeExpressible(info: Info, inShape: number[]): boolean {
  const p = pads(info);
  const ok = (size: number, out: number, stride: number, k: number, before: number, after: number) => {
    const extra = size - (stride * (out - 1) + k - before - after);
    return extra >= 0 && extra < stride;
  };
  return ok(inShape[1], info.outHeight, info.strideHeight, info.filterHeight, p[0], p[2]) && ok(inShape[2], info.outWidth, info.strideWidth, info.filterWidth, p[1], p[3]);
}

export function ortConvBackpropInput(args: KernelArgs, minMacs: number): tf.TensorInfo | null {
  const { dy, filter } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const a = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropInputAttrs;
  if (!dy || !filter || !channelsLast(a as unknown as tf.NamedAttrMap) || !floats(dy, filter)) return null;
  const inShape = [...a.inputShape];
  if (inShape.some((d) => d <= 0)) return null;
  const info = convInfo(inShape, [...filter.shape], { ...a, dilations: 1 } as unknown as tf.NamedAttrMap, false);
  if (info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2] || convMacs(info, false) < minMacs) return null;
  if (!isPointwise(info) && !transposeExpressible(info, inShape)) return null;
  const key = `dx|${JSON.stringify([dy.shape, filter.shape, inShape])}|${geometryKey(info)}`;
  const model = sessionCache.get(key, () => inputGradModel([...dy.shape], [...filter.shape], inShape, info));
  return runSession(args.backend as tf.KernelBackend, model, { dy, filter }, inShape);
}

function filterGradModel(xShape: number[], dyShape: number[], fShape: number[], info: Info) {
  const m = new OpModel();
  const [n, h, w, cin] = xShape;
  const [, oh, ow, cout] = dyShape;
  if (isPointwise(info)) {
    const x = m.input('x', [n * h * w, cin]);
    const dy = m.input('dy', [n * oh * ow, cout]);
    return m.encode(m.node('Gemm', [x, dy], [cin, cout], { transA: attr.int(1) }));
  }
  const x = m.transpose(m.input('x', xShape), [3, 0, 1, 2], xShape);
  const dy = m.transpose(m.input('dy', dyShape), [3, 0, 1, 2], dyShape);
  const p = pads(info);
  // taps the padded input allows: at least the filter's, more when padding leaves rows over
  const taps = (size: number, before: number, after: number, out: number, stride: number) => size + before + after - (stride * (out - 1) + 1) + 1;
  const th = taps(h, p[0], p[2], oh, info.strideHeight);
  const tw = taps(w, p[1], p[3], ow, info.strideWidth);
  let dw = m.node('Conv', [x, dy], [cin, cout, th, tw], {
    kernel_shape: attr.ints([oh, ow]),
    dilations: attr.ints([info.strideHeight, info.strideWidth]),
    pads: attr.ints(p),
  });
  if (th !== fShape[0] || tw !== fShape[1]) {
    dw = m.node('Slice', [dw, m.ints('starts', [0, 0]), m.ints('ends', [fShape[0], fShape[1]]), m.ints('axes', [2, 3])], [cin, cout, fShape[0], fShape[1]]);
  }
  return m.encode(m.transpose(dw, [2, 3, 0, 1], [cin, cout, fShape[0], fShape[1]]));
}

export function ortConvBackpropFilter(args: KernelArgs, minMacs: number): tf.TensorInfo | null {
  const { x, dy } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const a = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs;
  if (!x || !dy || !channelsLast(a as unknown as tf.NamedAttrMap) || !floats(x, dy)) return null;
  const fShape = [...a.filterShape];
  const info = convInfo([...x.shape], fShape, { ...a, dilations: 1 } as unknown as tf.NamedAttrMap, false);
  if (info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2] || convMacs(info, false) < minMacs) return null;
  const p = pads(info);
  const reach = (size: number, before: number, after: number, out: number, stride: number, k: number) => size + before + after - (stride * (out - 1) + 1) + 1 >= k;
  if (!reach(x.shape[1], p[0], p[2], info.outHeight, info.strideHeight, fShape[0]) || !reach(x.shape[2], p[1], p[3], info.outWidth, info.strideWidth, fShape[1])) return null;
  const key = `dW|${JSON.stringify([x.shape, dy.shape, fShape])}|${geometryKey(info)}`;
  const model = sessionCache.get(key, () => filterGradModel([...x.shape], [...dy.shape], fShape, info));
  return runSession(args.backend as tf.KernelBackend, model, { x, dy }, fShape);
}
