/**
 * The two ways heads read HRNet's branches (Wang et al., "Deep High-Resolution Representation
 * Learning for Visual Recognition", 2019):
 *  - HRNetV1: the highest-resolution branch only (pose; the backbone built with
 *    `multiscale_output: false` already returns just that branch);
 *  - HRNetV2: every branch bilinearly upsampled to the highest resolution and concatenated in
 *    branch order (segmentation, landmarks, and the input of HRNetV2p's pyramid).
 */
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';

export function hrnetV1Representation(xs: readonly Tensor[]): Tensor {
  return xs[0];
}

export function hrnetV2Representation(xs: readonly Tensor[], alignCorners: boolean): Tensor {
  const [h, w] = [xs[0].shape[2], xs[0].shape[3]];
  return F.concat(xs.map((x) => F.interpolate(x, { size: [h, w], mode: 'bilinear', alignCorners })), 1);
}
