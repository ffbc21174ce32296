import { z } from 'zod';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';
import { OPTIMIZERS } from '../../registry/registries';
import { adamOptions, Adam } from './adam';
import type { ParamGroup } from './optimizer';

export const adamWOptions = adamOptions.extend({ weight_decay: z.number().nonnegative().default(1e-2) }).strict();
export type AdamWOptions = z.input<typeof adamWOptions>;

/**
 * torch.optim.AdamW: Adam whose weight decay is decoupled from the gradient: the parameter
 * shrinks by p * (1 - lr * weight_decay) before the Adam step, and the moments see the raw
 * gradient.
 */
export class AdamW extends Adam {
  constructor(options: AdamWOptions) {
    super(adamWOptions.parse(options));
  }

  protected override decay(p: Tensor, g: Tensor, group: ParamGroup): { p: Tensor; g: Tensor } {
    const shrink = group.num('lr') * group.num('weight_decay');
    return { p: shrink !== 0 ? F.mul(p, 1 - shrink) : p, g };
  }
}

OPTIMIZERS.register(adamWOptions, (o: AdamWOptions) => new AdamW(o), {
  name: 'AdamW',
  summary: 'Adam with decoupled weight decay (torch.optim.AdamW)',
});
