/**
 * Convolution backprop kernels built on conv-grad's forward-op formulations. On wasm they
 * supply the missing Conv2DBackpropFilter and depthwise backprops and replace the native
 * Conv2DBackpropInput (an order of magnitude below the forward conv); on cpu they replace
 * Conv2DBackpropFilter, which runs about 100x below the cpu forward conv.
 * Cases the formulations do not cover (NCHW data, depthwise channel multipliers) go to the
 * backend's own kernel, or to the cpu backend's when there is none.
 */
import * as tf from '@tensorflow/tfjs-core';
import { geometryFromConvInfo } from '../conv-geometry';
import { convFilterGrad, convInputGrad, depthwiseFilterGrad } from '../conv-grad';
import { cpuBridge } from './host-kernel';
import { originalKernel, type KernelArgs, type KernelResult } from './kernel-registry';
import { opsKernel } from './ops-kernel';

type Pad = tf.Conv2DAttrs['pad'];
type Rounding = tf.Conv2DAttrs['dimRoundingMode'];

function geometry(
  inShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  dilations: number | [number, number],
  pad: Pad,
  rounding: Rounding,
  depthwise: boolean,
) {
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    rounding,
    depthwise,
    'channelsLast',
  );
  return geometryFromConvInfo(info);
}

/** Use `fast` unless `covered` says no; then the replaced kernel, else the cpu backend's. */
function withFallback(kernelName: string, backendName: string, covered: (args: KernelArgs) => boolean, fast: tf.KernelFunc) {
  const bridge = cpuBridge(kernelName);
  return (args: KernelArgs): KernelResult => {
    if (covered(args)) return fast(args);
    const original = originalKernel(kernelName, backendName);
    if (original) return original(args);
    if (backendName === 'cpu') throw new Error(`${kernelName}: this case has no cpu implementation`);
    return bridge(args);
  };
}

const channelsLast = (args: KernelArgs) => ((args.attrs ?? {}).dataFormat ?? 'NHWC') === 'NHWC';
const multiplierOne = (args: KernelArgs) => (args.inputs.filter?.shape[3] ?? 1) === 1;

const conv2DBackpropInput = opsKernel(({ dy, filter }, attrs) => {
  const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const g = geometry([...a.inputShape], filter.shape, a.strides, 1, a.pad, a.dimRoundingMode, false);
  return convInputGrad(dy as tf.Tensor4D, filter as tf.Tensor4D, g);
});

const conv2DBackpropFilter = opsKernel(({ x, dy }, attrs) => {
  const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const g = geometry(x.shape, [...a.filterShape], a.strides, 1, a.pad, a.dimRoundingMode, false);
  return convFilterGrad(x as tf.Tensor4D, dy as tf.Tensor4D, g);
});

const depthwiseBackpropInput = opsKernel(({ dy, filter }, attrs) => {
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const g = geometry([...a.inputShape], filter.shape, a.strides, a.dilations, a.pad, a.dimRoundingMode, true);
  return convInputGrad(dy as tf.Tensor4D, filter as tf.Tensor4D, g, true);
});

const depthwiseBackpropFilter = opsKernel(({ x, dy }, attrs) => {
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const g = geometry(x.shape, [...a.filterShape], a.strides, a.dilations, a.pad, a.dimRoundingMode, true);
  return depthwiseFilterGrad(x as tf.Tensor4D, dy as tf.Tensor4D, g);
});

/** [kernelName, covered, implementation] of every convolution backprop kernel provided here. */
export const CONV_BACKPROP_KERNELS: [string, (args: KernelArgs) => boolean, tf.KernelFunc][] = [
  [tf.Conv2DBackpropInput, channelsLast, conv2DBackpropInput],
  [tf.Conv2DBackpropFilter, channelsLast, conv2DBackpropFilter],
  [tf.DepthwiseConv2dNativeBackpropInput, multiplierOne, depthwiseBackpropInput],
  [
    tf.DepthwiseConv2dNativeBackpropFilter,
    (args) => ((args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs).filterShape[3] ?? 1) === 1,
    depthwiseBackpropFilter,
  ],
];

export function convBackpropKernel(kernelName: string, backendName: string): tf.KernelFunc {
  const entry = CONV_BACKPROP_KERNELS.find(([name]) => name === kernelName);
  if (!entry) throw new Error(`no convolution backprop kernel named '${kernelName}'`);
  return withFallback(kernelName, backendName, entry[1], entry[2]);
}
