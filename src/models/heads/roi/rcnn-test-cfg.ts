import { z } from 'zod';
import { nmsCfg } from './nms-cfg';

/** mmdetection's `test_cfg.rcnn` for box heads. */
export const rcnnTestCfg = z
  .object({
    score_thr: z.number().default(0.05),
    nms: nmsCfg,
    max_per_img: z.number().int().default(100),
    /** Mask heads' binarisation threshold; read by mask heads only. */
    mask_thr_binary: z.number().optional(),
  })
  .strict();
export type RCNNTestCfg = z.output<typeof rcnnTestCfg>;
