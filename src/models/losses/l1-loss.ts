import { z } from 'zod';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';
import { LOSSES } from '../../registry/registries';
import { Loss, type LossArgs } from './loss';
import { regressionLoss } from './regression-loss';
import { REDUCTIONS } from './weight-reduce-loss';

export const l1LossOptions = z
  .object({
    reduction: z.enum(REDUCTIONS).default('mean'),
    loss_weight: z.number().default(1.0),
  })
  .strict();
export type L1LossOptions = z.input<typeof l1LossOptions>;

/** mmdetection 3's L1Loss: |pred - target|, weighted and reduced by weight_reduce_loss. */
export class L1Loss extends Loss {
  constructor(options: L1LossOptions = {}) {
    const o = l1LossOptions.parse(options);
    super(o.reduction, o.loss_weight);
  }

  forward(pred: Tensor, target: Tensor, args: LossArgs = {}): Tensor {
    return regressionLoss('L1Loss', pred, target, args, this, (p, t) => F.abs(F.sub(p, t)));
  }
}

LOSSES.register(l1LossOptions, (o: L1LossOptions) => new L1Loss(o), { name: 'L1Loss', summary: 'L1 loss (mmdetection 3)' });
