import { z } from 'zod';
import { SCHEDULERS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { inContext, ParamScheduler, schedulerBase } from './param-scheduler';

export const stepLROptions = z
  .object({ ...schedulerBase, step_size: z.number().int().positive(), gamma: z.number().default(0.1) })
  .strict();
export type StepLROptions = z.input<typeof stepLROptions>;
type Parsed = z.output<typeof stepLROptions>;

/** mmengine's StepLR: the value times gamma every step_size steps. */
export class StepLR extends ParamScheduler<Parsed> {
  constructor(options: StepLROptions) {
    super(stepLROptions.parse(options), 'lr', (o, n) => ({ step_size: o.step_size * n }));
  }

  protected value(): number[] {
    if (this.lastStep === 0 || this.lastStep % this.opts.step_size !== 0) return this.current();
    return this.current().map((v) => v * this.opts.gamma);
  }
}

SCHEDULERS.register(stepLROptions, (o: StepLROptions, ctx: BuildContext) => inContext(ctx, () => new StepLR(o)), {
  name: 'StepLR',
  summary: 'the lr times gamma every step_size steps',
});
