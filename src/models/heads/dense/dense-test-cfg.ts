import { z } from 'zod';

/**
 * A dense head's `test_cfg` (mmdetection's keys): per-level `nms_pre` top-k, `score_thr`,
 * `min_bbox_size` (boxes not wider and taller than it are dropped; < 0 disables the check),
 * class-aware `nms`, `max_per_img`.
 */
export const denseTestCfgSchema = z
  .object({
    /** Per-level candidates kept before NMS; -1 keeps all. */
    nms_pre: z.number().int().default(-1),
    min_bbox_size: z.number().default(-1),
    score_thr: z.number().default(0),
    nms: z
      .object({
        type: z.literal('nms', { errorMap: () => ({ message: "only 'nms' is available (soft_nms is not)" }) }),
        iou_threshold: z.number().min(0).max(1),
      })
      .strict(),
    max_per_img: z.number().int().positive().default(100),
  })
  .strict();
export type DenseTestCfg = z.output<typeof denseTestCfgSchema>;
