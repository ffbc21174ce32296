import { z } from 'zod';
import { ConfigError } from '../../core/errors';
import { SCHEDULERS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { inContext, ParamScheduler, schedulerBase } from './param-scheduler';

export const cosineAnnealingLROptions = z
  .object({
    ...schedulerBase,
    T_max: z.number().int().positive().nullable().default(null),
    eta_min: z.number().nullable().default(null),
    eta_min_ratio: z.number().nullable().default(null),
  })
  .strict();
export type CosineAnnealingLROptions = z.input<typeof cosineAnnealingLROptions>;
type Parsed = z.output<typeof cosineAnnealingLROptions>;

/**
 * mmengine's CosineAnnealingLR (SGDR's annealing without restarts) in its chainable form:
 *   v_k = (1 + cos(pi k / T)) / (1 + cos(pi (k-1) / T)) * (v_{k-1} - eta_min) + eta_min,
 * with the SGDR step at k - 1 - T = 0 mod 2T. T_max defaults to end - begin; eta_min may be
 * given as a ratio of each group's initial value.
 */
export class CosineAnnealingLR extends ParamScheduler<Parsed> {
  constructor(options: CosineAnnealingLROptions) {
    const o = cosineAnnealingLROptions.parse(options);
    if (o.eta_min !== null && o.eta_min_ratio !== null) throw new ConfigError('eta_min_ratio', 'give either eta_min or eta_min_ratio, not both');
    super(o, 'lr', (x, n) => ({ T_max: x.T_max === null ? null : x.T_max * n }));
  }

  private get tMax(): number {
    return this.opts.T_max ?? this.end - this.begin;
  }

  private etaMin(base: number): number {
    return this.opts.eta_min_ratio !== null ? base * this.opts.eta_min_ratio : this.opts.eta_min ?? 0;
  }

  protected value(): number[] {
    const k = this.lastStep;
    const T = this.tMax;
    const now = this.current();
    if (k === 0) return now;
    if ((k - 1 - T) % (2 * T) === 0) {
      return now.map((v, i) => v + ((this.baseValues[i] - this.etaMin(this.baseValues[i])) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    const ratio = (1 + Math.cos((Math.PI * k) / T)) / (1 + Math.cos((Math.PI * (k - 1)) / T));
    return now.map((v, i) => {
      const eta = this.etaMin(this.baseValues[i]);
      return ratio * (v - eta) + eta;
    });
  }
}

SCHEDULERS.register(cosineAnnealingLROptions, (o: CosineAnnealingLROptions, ctx: BuildContext) => inContext(ctx, () => new CosineAnnealingLR(o)), {
  name: 'CosineAnnealingLR',
  summary: 'cosine annealing of the lr to eta_min (or eta_min_ratio of the initial lr)',
});
