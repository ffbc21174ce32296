import { z } from 'zod';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';
import { LOSSES } from '../../registry/registries';
import { Loss, type LossArgs } from './loss';
import { regressionLoss } from './regression-loss';
import { REDUCTIONS } from './weight-reduce-loss';

export const smoothL1LossOptions = z
  .object({
    beta: z.number().positive().default(1.0),
    reduction: z.enum(REDUCTIONS).default('mean'),
    loss_weight: z.number().default(1.0),
  })
  .strict();
export type SmoothL1LossOptions = z.input<typeof smoothL1LossOptions>;

/** mmdetection 3's SmoothL1Loss: 0.5 d² / β where d = |pred - target| < β, else d - 0.5 β. */
export class SmoothL1Loss extends Loss {
  readonly beta: number;

  constructor(options: SmoothL1LossOptions = {}) {
    const o = smoothL1LossOptions.parse(options);
    super(o.reduction, o.loss_weight);
    this.beta = o.beta;
  }

  forward(pred: Tensor, target: Tensor, args: LossArgs = {}): Tensor {
    const beta = this.beta;
    return regressionLoss('SmoothL1Loss', pred, target, args, this, (p, t) => {
      const d = F.abs(F.sub(p, t));
      return F.where(F.less(d, beta), F.div(F.mul(F.mul(d, d), 0.5), beta), F.sub(d, 0.5 * beta));
    });
  }
}

LOSSES.register(smoothL1LossOptions, (o: SmoothL1LossOptions) => new SmoothL1Loss(o), {
  name: 'SmoothL1Loss',
  summary: 'smooth L1 (Huber / beta) loss (mmdetection 3)',
});
