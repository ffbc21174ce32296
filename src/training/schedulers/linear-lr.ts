import { z } from 'zod';
import { SCHEDULERS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { inContext, ParamScheduler, schedulerBase } from './param-scheduler';

const factor = z.number().min(0).max(1);
export const linearLROptions = z.object({ ...schedulerBase, start_factor: factor.default(1 / 3), end_factor: factor.default(1) }).strict();
export type LinearLROptions = z.input<typeof linearLROptions>;
type Parsed = z.output<typeof linearLROptions>;

/**
 * mmengine's LinearLR: the value's factor moves linearly from start_factor (at begin) to
 * end_factor (at end - 1). Chainable form: step 0 multiplies by start_factor, step k by the
 * ratio of consecutive factors.
 */
export class LinearLR extends ParamScheduler<Parsed> {
  constructor(options: LinearLROptions) {
    super(linearLROptions.parse(options));
  }

  protected value(): number[] {
    const { start_factor: a, end_factor: b } = this.opts;
    const total = this.end - this.begin - 1;
    if (this.lastStep === 0) return this.current().map((v) => v * a);
    const k = this.lastStep;
    return this.current().map((v) => v * (1 + (b - a) / (total * a + (k - 1) * (b - a))));
  }
}

SCHEDULERS.register(linearLROptions, (o: LinearLROptions, ctx: BuildContext) => inContext(ctx, () => new LinearLR(o)), {
  name: 'LinearLR',
  summary: 'linear warm-up (or decay) of the lr factor from start_factor to end_factor',
});
