import * as tf from '@tensorflow/tfjs-core';
import type { RoiAlignOptions } from '../../core/engine';

/** RoIAlign over NHWC features; implemented in roi-align-kernel (host) with a custom gradient. */
export function roiAlign(features: tf.Tensor4D, rois: Float32Array, o: RoiAlignOptions): tf.Tensor4D {
  void features;
  void rois;
  void o;
  throw new Error('RoIAlign: not yet implemented on the tfjs engine');
}
