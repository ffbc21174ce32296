import { z } from 'zod';
import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';

/** A test_cfg `nms` entry: mmcv's greedy NMS (`soft_nms` and the other variants are not available). */
export const nmsCfg = z.object({ type: z.literal('nms').default('nms'), iou_threshold: z.number().min(0).max(1) }).strict();
export type NmsCfg = z.output<typeof nmsCfg>;

/** An int32 index tensor of host indices. */
export const indexTensor = (inds: ArrayLike<number>): Tensor => F.constant({ dtype: 'int32', shape: [inds.length], data: Int32Array.from(inds) });
