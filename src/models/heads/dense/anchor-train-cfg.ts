import { z } from 'zod';
import { componentCfg } from '../roi/component-cfg';

/**
 * mmdetection's `train_cfg` of an anchor head (`train_cfg.rpn` of a two-stage detector): the
 * assigner, the sampler (none: PseudoSampler), how far anchors may cross the image border
 * (`allowed_border`; < 0 keeps every valid anchor) and the label weight of positives
 * (`pos_weight`; <= 0 means 1).
 */
export const anchorTrainCfg = z
  .object({
    assigner: componentCfg,
    sampler: componentCfg.nullable().optional(),
    allowed_border: z.number().default(-1),
    pos_weight: z.number().default(-1),
    debug: z.boolean().default(false),
  })
  .strict();
export type AnchorTrainCfg = z.output<typeof anchorTrainCfg>;
