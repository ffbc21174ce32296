import { z } from 'zod';
import { componentCfg } from './component-cfg';

/**
 * mmdetection's `train_cfg.rcnn` of a box RoI head: the assigner and sampler of the proposals
 * and the label weight of positives (`pos_weight`; <= 0 means 1). `mask_size` is read by mask
 * heads only.
 */
export const rcnnTrainCfg = z
  .object({
    assigner: componentCfg,
    sampler: componentCfg,
    pos_weight: z.number().default(-1),
    debug: z.boolean().default(false),
    mask_size: z.number().int().positive().optional(),
  })
  .strict();
export type RCNNTrainCfg = z.output<typeof rcnnTrainCfg>;
