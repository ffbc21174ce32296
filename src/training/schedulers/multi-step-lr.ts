import { z } from 'zod';
import { SCHEDULERS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { inContext, ParamScheduler, schedulerBase } from './param-scheduler';

export const multiStepLROptions = z
  .object({ ...schedulerBase, milestones: z.array(z.number().int().min(0)), gamma: z.number().default(0.1) })
  .strict();
export type MultiStepLROptions = z.input<typeof multiStepLROptions>;
type Parsed = z.output<typeof multiStepLROptions>;

/**
 * mmengine's MultiStepLR: multiplies the value by gamma at each milestone (counted from
 * begin; a milestone listed twice multiplies by gamma^2, as its Counter does).
 */
export class MultiStepLR extends ParamScheduler<Parsed> {
  constructor(options: MultiStepLROptions) {
    super(multiStepLROptions.parse(options), 'lr', (o, n) => ({ milestones: o.milestones.map((m) => m * n) }));
  }

  protected value(): number[] {
    const hits = this.opts.milestones.filter((m) => m === this.lastStep).length;
    if (hits === 0) return this.current();
    return this.current().map((v) => v * this.opts.gamma ** hits);
  }
}

SCHEDULERS.register(multiStepLROptions, (o: MultiStepLROptions, ctx: BuildContext) => inContext(ctx, () => new MultiStepLR(o)), {
  name: 'MultiStepLR',
  summary: 'the lr times gamma at each milestone',
});
