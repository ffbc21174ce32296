/**
 * Option schemas shared by many components, in mm* vocabulary (init_cfg, norm_cfg, conv_cfg,
 * act_cfg), so every component validates them the same way.
 */
import { z } from 'zod';
import { initCfgSchema } from './init/init-cfg';

export const intPair = z.union([z.number().int(), z.tuple([z.number().int(), z.number().int()])]);
/** mmengine init_cfg: an entry, a list of entries, or null; each entry checked by type (see nn/init/init-cfg). */
export const initCfg = initCfgSchema.optional();
export const normCfg = z
  .object({
    type: z.enum(['BN', 'BN2d', 'SyncBN', 'GN', 'IN']),
    requires_grad: z.boolean().optional(),
    num_groups: z.number().int().positive().optional(),
    eps: z.number().positive().optional(),
    momentum: z.number().optional(),
  })
  .strict();
export type NormCfg = z.infer<typeof normCfg>;
export const convCfg = z.object({ type: z.enum(['Conv2d', 'Conv']) }).passthrough().nullable().optional();
export const actCfg = z.object({ type: z.enum(['ReLU', 'Sigmoid', 'Swish', 'GELU']), inplace: z.boolean().optional() }).strict().nullable();
