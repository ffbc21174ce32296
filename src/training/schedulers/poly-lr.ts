import { z } from 'zod';
import { SCHEDULERS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { inContext, ParamScheduler, schedulerBase } from './param-scheduler';

export const polyLROptions = z.object({ ...schedulerBase, eta_min: z.number().default(0), power: z.number().default(1) }).strict();
export type PolyLROptions = z.input<typeof polyLROptions>;
type Parsed = z.output<typeof polyLROptions>;

/**
 * mmengine's PolyLR: polynomial decay to eta_min at the scheduler's last step. Chainable
 * form: (v - eta_min) * (1 - 1 / (T - k + 1))^power + eta_min with T = end - begin - 1, which
 * telescopes to eta_min + (base - eta_min) * (1 - k / T)^power.
 */
export class PolyLR extends ParamScheduler<Parsed> {
  constructor(options: PolyLROptions) {
    super(polyLROptions.parse(options));
  }

  protected value(): number[] {
    if (this.lastStep === 0) return this.current();
    const { eta_min: eta, power } = this.opts;
    const total = this.end - this.begin - 1;
    const ratio = (1 - 1 / (total - this.lastStep + 1)) ** power;
    return this.current().map((v) => (v - eta) * ratio + eta);
  }
}

SCHEDULERS.register(polyLROptions, (o: PolyLROptions, ctx: BuildContext) => inContext(ctx, () => new PolyLR(o)), {
  name: 'PolyLR',
  summary: 'polynomial decay of the lr to eta_min (mmseg schedules)',
});
