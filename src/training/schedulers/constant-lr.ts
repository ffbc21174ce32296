import { z } from 'zod';
import { SCHEDULERS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { inContext, ParamScheduler, schedulerBase } from './param-scheduler';

export const constantLROptions = z.object({ ...schedulerBase, factor: z.number().min(0).max(1).default(1 / 3) }).strict();
export type ConstantLROptions = z.input<typeof constantLROptions>;
type Parsed = z.output<typeof constantLROptions>;

/**
 * mmengine's ConstantLR: the value is multiplied by `factor` at begin and restored at the
 * scheduler's last step (end - begin - 1).
 */
export class ConstantLR extends ParamScheduler<Parsed> {
  constructor(options: ConstantLROptions) {
    super(constantLROptions.parse(options));
  }

  protected value(): number[] {
    const total = this.end - this.begin - 1;
    if (this.lastStep === 0) return this.current().map((v) => v * this.opts.factor);
    if (this.lastStep === total) return this.current().map((v) => v * (1 / this.opts.factor));
    return this.current();
  }
}

SCHEDULERS.register(constantLROptions, (o: ConstantLROptions, ctx: BuildContext) => inContext(ctx, () => new ConstantLR(o)), {
  name: 'ConstantLR',
  summary: 'the lr times a constant factor until the scheduler ends',
});
