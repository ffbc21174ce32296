import { z } from 'zod';
import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';

/** A test_cfg `nms` entry: mmcv's greedy NMS (`soft_nms` and the other variants are not available). */
export const nmsCfg = z.object({ type: z.literal('nms').default('nms'), iou_threshold: z.number().min(0).max(1) }).strict();
export type NmsCfg = z.output<typeof nmsCfg>;

/**
 * mmcv's batched_nms over host-selected candidates: indices kept, in descending score order,
 * at most `maxNum` (-1 = all). Empty inputs give an empty int32 tensor.
 */
export function batchedNmsKeep(boxes: Tensor, scores: Tensor, idxs: Tensor, cfg: NmsCfg, maxNum = -1): Int32Array {
  if (boxes.shape[0] === 0) return new Int32Array(0);
  const keep = Int32Array.from(F.toHost(F.batchedNms(boxes, scores, idxs, { iouThreshold: cfg.iou_threshold })).data as ArrayLike<number>);
  return maxNum >= 0 && keep.length > maxNum ? keep.slice(0, maxNum) : keep;
}

/** An int32 index tensor of host indices. */
export const indexTensor = (inds: ArrayLike<number>): Tensor => F.constant({ dtype: 'int32', shape: [inds.length], data: Int32Array.from(inds) });
