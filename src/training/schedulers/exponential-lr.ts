import { z } from 'zod';
import { SCHEDULERS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { inContext, ParamScheduler, schedulerBase } from './param-scheduler';

export const exponentialLROptions = z.object({ ...schedulerBase, gamma: z.number() }).strict();
export type ExponentialLROptions = z.input<typeof exponentialLROptions>;
type Parsed = z.output<typeof exponentialLROptions>;

/** mmengine's ExponentialLR: the value times gamma every step. */
export class ExponentialLR extends ParamScheduler<Parsed> {
  constructor(options: ExponentialLROptions) {
    super(exponentialLROptions.parse(options));
  }

  protected value(): number[] {
    if (this.lastStep === 0) return this.current();
    return this.current().map((v) => v * this.opts.gamma);
  }
}

SCHEDULERS.register(exponentialLROptions, (o: ExponentialLROptions, ctx: BuildContext) => inContext(ctx, () => new ExponentialLR(o)), {
  name: 'ExponentialLR',
  summary: 'the lr times gamma every step',
});
