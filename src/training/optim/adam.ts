import { z } from 'zod';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';
import { OPTIMIZERS } from '../../registry/registries';
import { Optimizer, type Hyper, type ParamGroup, type ParamState } from './optimizer';

const beta = z.number().min(0).lt(1);

export const adamOptions = z
  .object({
    lr: z.number().nonnegative().default(1e-3),
    betas: z.tuple([beta, beta]).default([0.9, 0.999]),
    eps: z.number().nonnegative().default(1e-8),
    weight_decay: z.number().nonnegative().default(0),
    amsgrad: z.boolean().default(false),
    maximize: z.boolean().default(false),
  })
  .strict();
export type AdamOptions = z.input<typeof adamOptions>;

/**
 * torch.optim.Adam: with t the step count (from 1),
 *   g = grad (negated when maximize) + weight_decay * p      (Adam's L2 penalty)
 *   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2;   vmax = max(vmax, v) (amsgrad)
 *   p = p - lr / (1 - b1^t) * m / (sqrt(v or vmax) / sqrt(1 - b2^t) + eps)
 * AdamW (decoupled decay) overrides `decay`.
 */
export class Adam extends Optimizer {
  constructor(options: AdamOptions | Hyper) {
    super(adamOptions.parse(options));
  }

  protected override get savesStep(): boolean {
    return true;
  }

  /** Weight decay: Adam adds it to the gradient; returns the (p, g) the moments see. */
  protected decay(p: Tensor, g: Tensor, group: ParamGroup): { p: Tensor; g: Tensor } {
    const wd = group.num('weight_decay');
    return { p, g: wd !== 0 ? F.add(g, F.mul(p, wd)) : g };
  }

  protected update(param: Tensor, grad: Tensor, group: ParamGroup, state: ParamState): Tensor {
    const [b1, b2] = group.hyper.betas as readonly number[];
    const lr = group.num('lr');
    const { p, g } = this.decay(param, group.flag('maximize') ? F.neg(grad) : grad, group);
    const t = ++state.step;
    const m = F.add(F.mul(this.read(state, 'exp_avg') ?? F.mul(g, 0), b1), F.mul(g, 1 - b1));
    let v = F.add(F.mul(this.read(state, 'exp_avg_sq') ?? F.mul(g, 0), b2), F.mul(F.mul(g, g), 1 - b2));
    this.write(state, 'exp_avg', m);
    this.write(state, 'exp_avg_sq', v);
    if (group.flag('amsgrad')) {
      const prev = this.read(state, 'max_exp_avg_sq');
      v = prev ? F.maximum(prev, v) : v;
      this.write(state, 'max_exp_avg_sq', v);
    }
    const stepSize = lr / (1 - b1 ** t);
    const denom = F.add(F.div(F.sqrt(v), Math.sqrt(1 - b2 ** t)), group.num('eps'));
    return F.sub(p, F.mul(F.div(m, denom), stepSize));
  }
}

OPTIMIZERS.register(adamOptions, (o: AdamOptions) => new Adam(o), {
  name: 'Adam',
  summary: 'Adam with bias correction, L2 weight decay and amsgrad (torch.optim.Adam)',
});
