import { z } from 'zod';
import { ConfigError } from '../../core/errors';
import { SCHEDULERS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { INF, inContext, ParamScheduler, schedulerBase } from './param-scheduler';

export const oneCycleLROptions = z
  .object({
    ...schedulerBase,
    eta_max: z.union([z.number(), z.array(z.number())]).default(0),
    total_steps: z.number().int().positive().nullable().default(null),
    pct_start: z.number().min(0).max(1).default(0.3),
    anneal_strategy: z.enum(['cos', 'linear']).default('cos'),
    div_factor: z.number().positive().default(25),
    final_div_factor: z.number().positive().default(1e4),
    three_phase: z.boolean().default(false),
  })
  .strict();
export type OneCycleLROptions = z.input<typeof oneCycleLROptions>;
type Parsed = z.output<typeof oneCycleLROptions>;

interface Phase {
  endStep: number;
  from: string;
  to: string;
}

/**
 * mmengine's OneCycleLR (Smith's 1cycle policy, fastai's two phases by default): from
 * eta_max / div_factor up to eta_max over pct_start of total_steps, then down to
 * initial / final_div_factor (three_phase: back to the initial value first). Not chainable:
 * each value is computed from the group's initial_lr, max_lr and min_lr, which it sets.
 */
export class OneCycleLR extends ParamScheduler<Parsed> {
  constructor(options: OneCycleLROptions) {
    super(oneCycleLROptions.parse(options), 'lr', (o, n) => ({ total_steps: o.total_steps === null ? null : o.total_steps * n }));
  }

  private get totalSteps(): number {
    return this.opts.total_steps ?? this.end - this.begin;
  }

  protected override prepare(): void {
    if (this.opts.total_steps === null && this.end === INF) {
      throw new ConfigError('total_steps', 'OneCycleLR needs total_steps or an end');
    }
    const groups = this.optimizer.paramGroups;
    const max = this.opts.eta_max;
    if (Array.isArray(max) && max.length !== groups.length) {
      throw new ConfigError('eta_max', `expected ${groups.length} values (one per param group), got ${max.length}`);
    }
    if (this.opts.last_step !== -1) return;
    groups.forEach((g, i) => {
      const top = Array.isArray(max) ? max[i] : max;
      g.hyper.initial_lr = top / this.opts.div_factor;
      g.hyper.max_lr = top;
      g.hyper.min_lr = top / this.opts.div_factor / this.opts.final_div_factor;
    });
  }

  private phases(): Phase[] {
    const { pct_start: pct, three_phase } = this.opts;
    const total = this.totalSteps;
    if (three_phase) {
      return [
        { endStep: pct * total - 1, from: 'initial_lr', to: 'max_lr' },
        { endStep: 2 * pct * total - 2, from: 'max_lr', to: 'initial_lr' },
        { endStep: total - 1, from: 'initial_lr', to: 'min_lr' },
      ];
    }
    return [
      { endStep: pct * total - 1, from: 'initial_lr', to: 'max_lr' },
      { endStep: total - 1, from: 'max_lr', to: 'min_lr' },
    ];
  }

  protected value(): number[] {
    const k = this.lastStep;
    if (k > this.totalSteps) throw new ConfigError('total_steps', `stepped ${k + 1} times, more than total_steps ${this.totalSteps}`);
    const phases = this.phases();
    return this.optimizer.paramGroups.map((g) => {
      let start = 0;
      for (const [i, ph] of phases.entries()) {
        if (k <= ph.endStep || i === phases.length - 1) {
          const pct = (k - start) / (ph.endStep - start);
          return this.anneal(g.num(ph.from), g.num(ph.to), pct);
        }
        start = ph.endStep;
      }
      throw new Error('unreachable');
    });
  }

  private anneal(from: number, to: number, pct: number): number {
    if (this.opts.anneal_strategy === 'linear') return (to - from) * pct + from;
    return to + ((from - to) / 2) * (Math.cos(Math.PI * pct) + 1);
  }
}

SCHEDULERS.register(oneCycleLROptions, (o: OneCycleLROptions, ctx: BuildContext) => inContext(ctx, () => new OneCycleLR(o)), {
  name: 'OneCycleLR',
  summary: "the 1cycle policy: warm up to eta_max, anneal to eta_max / div_factor / final_div_factor",
});
