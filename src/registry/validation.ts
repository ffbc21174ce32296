import { z, type ZodError } from 'zod';
import { initCfgSchema } from '../core/init-cfg';

/** [dotted path inside the options, one-line description] of a zod failure. */
export function formatZodError(err: ZodError, type: string): [string, string] {
  const issue = err.issues[0];
  const where = issue.path.join('.');
  let what: string;
  switch (issue.code) {
    case 'unrecognized_keys':
      return [where, `${type} has no option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`];
    case 'invalid_type':
      what = issue.received === 'undefined' ? `${type} needs this option (${issue.expected})` : `expected ${issue.expected}, got ${issue.received}`;
      break;
    case 'invalid_enum_value':
      what = `expected one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}, got ${JSON.stringify(issue.received)}`;
      break;
    case 'invalid_literal':
      what = `expected ${JSON.stringify(issue.expected)}`;
      break;
    default:
      what = issue.message;
  }
  return [where, what];
}

/** Shared option schemas in mm* vocabulary. */
export const intPair = z.union([z.number().int(), z.tuple([z.number().int(), z.number().int()])]);
/** mmengine init_cfg: an entry, a list of entries, or null; each entry checked by type (see core/init-cfg). */
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
