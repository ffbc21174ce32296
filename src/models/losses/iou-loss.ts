import { z } from 'zod';
import { UserError } from '../../core/errors';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';
import { LOSSES } from '../../registry/registries';
import { alignedBoxOverlaps } from './aligned-box-overlaps';
import { Loss, type LossArgs } from './loss';
import { regressionLoss } from './regression-loss';
import { REDUCTIONS } from './weight-reduce-loss';

export const iouLossOptions = z
  .object({
    /** deprecated in mmdet: true means mode 'linear'. */
    linear: z.boolean().default(false),
    eps: z.number().positive().default(1e-6),
    reduction: z.enum(REDUCTIONS).default('mean'),
    loss_weight: z.number().default(1.0),
    mode: z.enum(['linear', 'square', 'log']).default('log'),
  })
  .strict();
export type IoULossOptions = z.input<typeof iouLossOptions>;

/**
 * mmdetection 3's IoULoss (UnitBox): with IoU clamped below by `eps`, 1 - IoU ('linear'),
 * 1 - IoU² ('square') or -log IoU ('log'). Boxes [N, 4] x1y1x2y2; a weight [N, 4] is averaged
 * over its last axis first, as mmdet does.
 */
export class IoULoss extends Loss {
  readonly mode: 'linear' | 'square' | 'log';
  readonly eps: number;

  constructor(options: IoULossOptions = {}) {
    const o = iouLossOptions.parse(options);
    super(o.reduction, o.loss_weight);
    this.mode = o.linear ? 'linear' : o.mode;
    this.eps = o.eps;
  }

  forward(pred: Tensor, target: Tensor, args: LossArgs = {}): Tensor {
    return regressionLoss('IoULoss', pred, target, args, this, (p, t) => this.terms(p, t), boxLossOptions(pred));
  }

  private terms(pred: Tensor, target: Tensor): Tensor {
    const ious = F.maximum(alignedBoxOverlaps(pred, target, 'iou'), this.eps);
    if (this.mode === 'linear') return F.sub(1, ious);
    if (this.mode === 'square') return F.sub(1, F.mul(ious, ious));
    return F.neg(F.log(ious));
  }
}

/** The weight handling IoULoss and GIoULoss share: [N, 4] weights average to [N]. */
export function boxLossOptions(pred: Tensor) {
  return {
    shortcutNone: false,
    emptyTarget: false,
    reshapeWeight: (w: Tensor) => {
      if (w.shape.length <= 1) return w;
      if (w.shape.length !== pred.shape.length || w.shape.some((d, i) => d !== pred.shape[i])) {
        throw new UserError(`box loss: weight [${w.shape}] must be [N] or shaped like the boxes [${pred.shape}]`);
      }
      return F.mean(w, -1);
    },
  };
}

LOSSES.register(iouLossOptions, (o: IoULossOptions) => new IoULoss(o), { name: 'IoULoss', summary: 'IoU loss, linear/square/log (mmdetection 3)' });
