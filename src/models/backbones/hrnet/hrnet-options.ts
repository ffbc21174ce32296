import { z } from 'zod';
import { convCfg, initCfg, normCfg } from '../../../nn/option-schemas';
import { BasicBlock } from '../../../nn/blocks/basic-block';
import { Bottleneck } from '../../../nn/blocks/bottleneck';
import type { ResidualBlockClass } from '../../../nn/blocks/residual-block';

/** mmdetection's block names in `extra.stageN.block`. */
export const BLOCKS: Record<'BASIC' | 'BOTTLENECK', ResidualBlockClass> = {
  BASIC: BasicBlock,
  BOTTLENECK: Bottleneck,
};

const positiveInts = z.array(z.number().int().positive()).min(1);

/**
 * One stage of `extra` (mmdet/mmseg/mmpose vocabulary). `num_channels` are per-branch
 * "planes": a branch is `planes * expansion` wide (BASIC 1, BOTTLENECK 4).
 */
export const stageSchema = z
  .object({
    num_modules: z.number().int().positive(),
    num_branches: z.number().int().positive(),
    block: z.enum(['BASIC', 'BOTTLENECK']),
    num_blocks: positiveInts,
    num_channels: positiveInts,
    /** mmpose spells the stage-4 switch here; it overrides the backbone-level `multiscale_output`. */
    multiscale_output: z.boolean().optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    for (const key of ['num_blocks', 'num_channels'] as const) {
      if (s[key].length !== s.num_branches) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [key],
          message: `needs one entry per branch (num_branches = ${s.num_branches}), got ${s[key].length}`,
        });
      }
    }
  });
export type StageConfig = z.infer<typeof stageSchema>;

/**
 * How a lower-resolution branch is brought up to a higher one inside a fusion. `nearest` by
 * an integer factor is pose_hrnet / cls_hrnet / mmdet; `bilinear` to the exact target size is
 * seg_hrnet (align_corners = MODEL.ALIGN_CORNERS) and mmseg (align_corners false).
 */
export const upsampleCfg = z
  .object({
    mode: z.enum(['nearest', 'bilinear']),
    align_corners: z.boolean().nullable().optional(),
  })
  .strict();
export type UpsampleCfg = z.infer<typeof upsampleCfg>;

export const hrnetSchema = z
  .object({
    extra: z
      .object({ stage1: stageSchema, stage2: stageSchema, stage3: stageSchema, stage4: stageSchema })
      .strict(),
    in_channels: z.number().int().positive().default(3),
    conv_cfg: convCfg,
    norm_cfg: normCfg.default({ type: 'BN', requires_grad: true }),
    /** mmdetection's default; mmseg and mmpose configs set false. Only matters in training. */
    norm_eval: z.boolean().default(true),
    with_cp: z.boolean().default(false),
    frozen_stages: z.number().int().min(-1).max(4).default(-1),
    zero_init_residual: z.boolean().default(false),
    multiscale_output: z.boolean().default(true),
    upsample_cfg: upsampleCfg.default({ mode: 'nearest' }),
    /**
     * Which tensor feeds a width-changing transition of an existing branch: mm* and the
     * official pose/cls code take the last branch (`y_list[-1]`, only shape-valid for the
     * last one), the official seg code that same branch (`y_list[i]`).
     */
    transition_input: z.enum(['last_branch', 'same_branch']).default('last_branch'),
    pretrained: z.string().nullable().optional(),
    init_cfg: initCfg,
  })
  .strict();
export type HRNetOptions = z.infer<typeof hrnetSchema>;
