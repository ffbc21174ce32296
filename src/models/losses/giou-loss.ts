import { z } from 'zod';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';
import { LOSSES } from '../../registry/registries';
import { alignedBoxOverlaps } from './aligned-box-overlaps';
import { boxLossOptions } from './iou-loss';
import { Loss, type LossArgs } from './loss';
import { regressionLoss } from './regression-loss';
import { REDUCTIONS } from './weight-reduce-loss';

export const giouLossOptions = z
  .object({
    eps: z.number().positive().default(1e-6),
    reduction: z.enum(REDUCTIONS).default('mean'),
    loss_weight: z.number().default(1.0),
  })
  .strict();
export type GIoULossOptions = z.input<typeof giouLossOptions>;

/** mmdetection 3's GIoULoss (Rezatofighi et al. 2019): 1 - GIoU, union and enclosure clamped by `eps`. */
export class GIoULoss extends Loss {
  readonly eps: number;

  constructor(options: GIoULossOptions = {}) {
    const o = giouLossOptions.parse(options);
    super(o.reduction, o.loss_weight);
    this.eps = o.eps;
  }

  forward(pred: Tensor, target: Tensor, args: LossArgs = {}): Tensor {
    return regressionLoss('GIoULoss', pred, target, args, this, (p, t) => F.sub(1, alignedBoxOverlaps(p, t, 'giou', this.eps)), boxLossOptions(pred));
  }
}

LOSSES.register(giouLossOptions, (o: GIoULossOptions) => new GIoULoss(o), { name: 'GIoULoss', summary: 'generalized IoU loss (mmdetection 3)' });
