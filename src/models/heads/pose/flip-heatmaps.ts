import * as F from '../../../core/ops';
import { hostTensor } from '../../../core/host-tensor';
import type { Tensor } from '../../../core/tensor';

/** Reverse the last axis of an NCHW tensor (an image or heatmaps mirrored left to right). */
export function flipWidth(x: Tensor): Tensor {
  const w = x.shape[3];
  const idx = Int32Array.from({ length: w }, (_, i) => w - 1 - i);
  return F.gather(x, F.constant(hostTensor('int32', [w], idx)), 3);
}

/**
 * mmpose's flip_heatmaps in 'heatmap' mode: mirror the heatmaps of the flipped image back,
 * swap left/right keypoints by `flipIndices`, and with `shift` move everything one pixel right
 * (column 0 kept), which undoes the half-pixel offset flipping introduces.
 */
export function flipHeatmaps(heatmaps: Tensor, flipIndices: readonly number[] | null, shift: boolean): Tensor {
  let y = flipWidth(heatmaps);
  if (flipIndices) {
    if (flipIndices.length !== heatmaps.shape[1]) {
      throw new Error(`flip_indices has ${flipIndices.length} entries for ${heatmaps.shape[1]} heatmaps`);
    }
    y = F.gather(y, F.constant(hostTensor('int32', [flipIndices.length], Int32Array.from(flipIndices))), 1);
  }
  if (!shift) return y;
  const w = y.shape[3];
  return F.concat([F.narrow(y, 3, 0, 1), F.narrow(y, 3, 0, w - 1)], 3);
}
