import { z } from 'zod';
import type { Module } from '../../core/module';
import { Conv2d } from '../../nn/conv2d';
import type { Hyper, NamedParameter } from './optimizer';

const customKey = z.object({ lr_mult: z.number().optional(), decay_mult: z.number().optional() }).catchall(z.union([z.number(), z.boolean()]));

/** mmengine's `paramwise_cfg` of DefaultOptimWrapperConstructor. */
export const paramwiseCfg = z
  .object({
    bias_lr_mult: z.number().optional(),
    bias_decay_mult: z.number().optional(),
    norm_decay_mult: z.number().optional(),
    dwconv_decay_mult: z.number().optional(),
    flat_decay_mult: z.number().optional(),
    custom_keys: z.record(customKey).default({}),
    bypass_duplicate: z.boolean().default(false),
  })
  .strict();
export type ParamwiseCfg = z.input<typeof paramwiseCfg>;

export interface ParamGroupSpec {
  params: NamedParameter[];
  hyper: Hyper;
}

/** mmengine counts these as norm layers (_BatchNorm, _InstanceNorm, GroupNorm, LayerNorm). */
const NORM_TYPES = /^(BatchNorm[123]d|SyncBatchNorm|_BatchNorm|GroupNorm|LayerNorm|InstanceNorm[123]d|_InstanceNorm)$/;

export function isNormModule(m: Module): boolean {
  return NORM_TYPES.test(m.typeName);
}

function isDepthwiseConv(m: Module): boolean {
  return m instanceof Conv2d && m.inChannels === m.groups;
}

/**
 * The param groups mmengine's DefaultOptimWrapperConstructor makes. Without paramwise
 * options: one group of every parameter. With them: one group per parameter, in module
 * order, with these rules (first match wins):
 * - a `custom_keys` key that is a substring of `<prefix>.<name>` (longest key first, ties in
 *   alphabetical order; top-level parameters are matched as `.<name>`): lr = base_lr *
 *   lr_mult, weight_decay = base_wd * decay_mult, and the key's other entries copied in;
 * - otherwise `bias` of a non-norm module gets bias_lr_mult; then for the decay, in order:
 *   norm layers norm_decay_mult, biases bias_decay_mult, depth-wise convs dwconv_decay_mult,
 *   1-d parameters flat_decay_mult.
 * Decay multipliers apply only when the optimizer config sets weight_decay (base_wd).
 * Frozen parameters get a group with no overrides.
 */
export function paramGroups(model: Module, baseLr: number | undefined, baseWd: number | undefined, cfg?: ParamwiseCfg): ParamGroupSpec[] {
  const all = [...model.namedParameters()].map(([name, param]) => ({ name, param }));
  if (!cfg || Object.keys(cfg).length === 0) return [{ params: all, hyper: {} }];
  const o = paramwiseCfg.parse(cfg);
  const keys = Object.keys(o.custom_keys).sort().sort((a, b) => b.length - a.length);
  const groups: ParamGroupSpec[] = [];
  const seen = new Set<unknown>();
  for (const [prefix, m] of model.namedModules()) {
    for (const [name, param] of m.namedParameters()) {
      if (name.includes('.')) continue; // a child's: visited with the child
      const full = prefix ? `${prefix}.${name}` : name;
      if (o.bypass_duplicate && seen.has(param)) continue;
      seen.add(param);
      const hyper: Hyper = {};
      groups.push({ params: [{ name: full, param }], hyper });
      if (!param.requiresGrad) continue;
      const key = keys.find((k) => `${prefix}.${name}`.includes(k));
      if (key !== undefined) {
        const c = o.custom_keys[key];
        if (baseLr !== undefined) hyper.lr = baseLr * (c.lr_mult ?? 1);
        if (baseWd !== undefined) hyper.weight_decay = baseWd * (c.decay_mult ?? 1);
        for (const [k, v] of Object.entries(c)) if (v !== undefined) hyper[k] = v;
        continue;
      }
      const norm = isNormModule(m);
      if (name === 'bias' && !norm && o.bias_lr_mult !== undefined && baseLr !== undefined) hyper.lr = baseLr * o.bias_lr_mult;
      if (baseWd === undefined) continue;
      if (norm && o.norm_decay_mult !== undefined) hyper.weight_decay = baseWd * o.norm_decay_mult;
      else if (name === 'bias' && o.bias_decay_mult !== undefined) hyper.weight_decay = baseWd * o.bias_decay_mult;
      else if (isDepthwiseConv(m) && o.dwconv_decay_mult !== undefined) hyper.weight_decay = baseWd * o.dwconv_decay_mult;
      else if (param.shape.length === 1 && o.flat_decay_mult !== undefined) hyper.weight_decay = baseWd * o.flat_decay_mult;
    }
  }
  return groups;
}
