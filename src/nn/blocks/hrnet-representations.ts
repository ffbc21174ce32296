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

/**
 * `byScaleFactor`: branch i is scaled by 2^i (mmdetection's HRFPN) rather than resized to the
 * exact size of branch 0 (seg_hrnet, mmseg); the two agree wherever the sizes are exact multiples.
 */
export function hrnetV2Representation(xs: readonly Tensor[], alignCorners: boolean, byScaleFactor = false): Tensor {
  const [h, w] = [xs[0].shape[2], xs[0].shape[3]];
  return F.concat(
    xs.map((x, i) => upsampleTo(x, [h, w], { mode: 'bilinear', alignCorners, factor: byScaleFactor ? 2 ** i : undefined })),
    1,
  );
}

/**
 * Resize `x` to `size`. With `factor` and a size that is exactly `factor` times x's, the
 * resize is expressed as that scale factor (F.interpolate's scale_factor form, as the
 * reference code writes it; an exported graph then stays valid at other input sizes);
 * otherwise as the exact target size, which is identical wherever both are defined.
 */
export function upsampleTo(
  x: Tensor,
  size: readonly [number, number],
  o: { mode: 'nearest' | 'bilinear'; alignCorners: boolean; factor?: number },
): Tensor {
  const f = o.factor;
  if (f !== undefined && x.shape[2] * f === size[0] && x.shape[3] * f === size[1]) {
    return F.interpolate(x, { scaleFactor: f, mode: o.mode, alignCorners: o.alignCorners });
  }
  return F.interpolate(x, { size: [size[0], size[1]], mode: o.mode, alignCorners: o.alignCorners });
}
