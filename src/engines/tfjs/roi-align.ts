import * as tf from '@tensorflow/tfjs-core';
import type { RoiAlignOptions } from '../../core/engine';
import { roiAlignBackward, roiAlignForward } from './roi-align-kernel';

/**
 * RoIAlign over NHWC features → [K, oh, ow, C] (NHWC, i.e. logical [K, C, oh, ow]).
 * The arithmetic runs on the host (roi-align-kernel); tfjs sees one op with a custom
 * gradient with respect to the features, so RoI heads train through it. RoIs are data,
 * not variables: they get no gradient (as in mmcv).
 */
export function roiAlign(features: tf.Tensor4D, rois: Float32Array, o: RoiAlignOptions): tf.Tensor4D {
  if (features.dtype !== 'float32') throw new Error(`RoIAlign: features must be float32, got ${features.dtype}`);
  const [n, h, w, c] = features.shape;
  const [oh, ow] = o.outputSize;
  const k = rois.length / 5;
  const op = tf.customGrad<tf.Tensor4D>((...inputs) => {
    const data = (inputs[0] as tf.Tensor).dataSync() as Float32Array;
    const { output, argmax } = roiAlignForward({ data, n, h, w, c }, rois, o);
    const gradFunc = (dy: tf.Tensor4D) => {
      const dx = roiAlignBackward({ n, h, w, c }, dy.dataSync() as Float32Array, rois, o, argmax);
      return tf.tensor4d(dx, [n, h, w, c]);
    };
    return { value: tf.tensor4d(output, [k, oh, ow, c]), gradFunc };
  });
  return op(features);
}
