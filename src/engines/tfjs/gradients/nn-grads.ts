/** Gradients of the network kernels: matMul, batch norm, pooling, resize, convolution. */
import * as tf from '@tensorflow/tfjs-core';
import { geometryFromConvInfo } from '../conv-geometry';
import { convFilterGrad, convInputGrad, depthwiseFilterGrad } from '../conv-grad';
import { matMulExplicit, sumToShape, type GradDef, type Grads } from './grad-util';

const run = (kernelName: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap) =>
  tf.engine().runKernel(kernelName, inputs, attrs) as tf.Tensor;

/** A kernel whose input gradient is another kernel taking {dy, ...saved} with the same attrs. */
function viaKernel(kernelName: string, inputName: string, gradKernel: string, savedNames: string[], saveOutput = false): GradDef {
  return {
    kernelName,
    inputsToSave: [inputName],
    outputsToSave: saveOutput ? [true] : [],
    gradFunc: (dy, saved, attrs): Grads => {
      const inputs: tf.NamedTensorMap = { dy: dy as tf.Tensor };
      savedNames.forEach((name, i) => (inputs[name] = saved[i]));
      return { [inputName]: () => run(gradKernel, inputs, attrs) };
    },
  };
}

function convGeometry(x: tf.Tensor, filter: tf.Tensor, attrs: tf.NamedAttrMap, depthwise: boolean) {
  const a = attrs as unknown as tf.Conv2DAttrs;
  if ((a.dataFormat ?? 'NHWC') !== 'NHWC') throw new Error('the convolution gradients support NHWC data only');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    depthwise,
  );
  return geometryFromConvInfo(info);
}

export const NN_GRADS: GradDef[] = [
  {
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs): Grads => {
      const [a, b] = saved;
      const g = dy as tf.Tensor;
      const { transposeA: ta, transposeB: tb } = attrs as unknown as tf.BatchMatMulAttrs;
      const da = ta ? matMulExplicit(b, g, tb, true) : matMulExplicit(g, b, false, !tb);
      const db = tb ? matMulExplicit(g, a, true, ta) : matMulExplicit(a, g, !ta, false);
      return { a: () => sumToShape(da, a.shape), b: () => sumToShape(db, b.shape) };
    },
  },
  {
    // y = (x - mean) / sqrt(variance + eps) * scale + offset, statistics broadcast over x
    kernelName: tf.FusedBatchNorm,
    inputsToSave: ['x', 'mean', 'variance', 'scale', 'offset'],
    gradFunc: (dy, saved, attrs): Grads => {
      const [x, mean, variance, scale, offset] = saved;
      const g = dy as tf.Tensor;
      const eps = (attrs as unknown as tf.FusedBatchNormAttrs).varianceEpsilon;
      const inv = tf.rsqrt(tf.add(variance, eps));
      const gainScale = scale ? tf.mul(inv, scale) : inv;
      const centred = tf.sub(x, mean);
      const grads: Grads = {
        x: () => tf.mul(g, gainScale),
        mean: () => sumToShape(tf.neg(tf.mul(g, gainScale)), mean.shape),
        variance: () => sumToShape(tf.mul(tf.mul(g, centred), tf.mul(-0.5, tf.mul(gainScale, tf.square(inv)))), variance.shape),
      };
      if (scale) grads.scale = () => sumToShape(tf.mul(g, tf.mul(centred, inv)), scale.shape);
      if (offset) grads.offset = () => sumToShape(g, offset.shape);
      return grads;
    },
  },
  viaKernel(tf.MaxPool, 'x', tf.MaxPoolGrad, ['input', 'output'], true),
  viaKernel(tf.AvgPool, 'x', tf.AvgPoolGrad, ['input']),
  viaKernel(tf.ResizeBilinear, 'images', tf.ResizeBilinearGrad, ['images']),
  viaKernel(tf.ResizeNearestNeighbor, 'images', tf.ResizeNearestNeighborGrad, ['images']),
  {
    kernelName: tf.Conv2D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs): Grads => {
      const [x, filter] = saved as tf.Tensor4D[];
      const g = convGeometry(x, filter, attrs, false);
      return {
        x: () => convInputGrad(dy as tf.Tensor4D, filter, g),
        filter: () => convFilterGrad(x, dy as tf.Tensor4D, g),
      };
    },
  },
  {
    kernelName: tf.DepthwiseConv2dNative,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs): Grads => {
      const [x, filter] = saved as tf.Tensor4D[];
      if (filter.shape[3] !== 1) throw new Error('the depthwise convolution gradient supports channel multiplier 1 only');
      const g = convGeometry(x, filter, attrs, true);
      return {
        x: () => convInputGrad(dy as tf.Tensor4D, filter, g, true),
        filter: () => depthwiseFilterGrad(x, dy as tf.Tensor4D, g),
      };
    },
  },
];
