import { z } from 'zod';
import { ConfigError, UserError } from '../../core/errors';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';
import type { BuildContext } from '../../registry/build-context';
import { LOSSES } from '../../registry/registries';
import { bceOnProbabilities, bceWithLogits, oneHot } from './classification-terms';
import { Loss, type LossArgs } from './loss';
import { REDUCTIONS, weightReduceLoss } from './weight-reduce-loss';

export const focalLossOptions = z
  .object({
    use_sigmoid: z.boolean().default(true),
    gamma: z.number().default(2.0),
    alpha: z.number().default(0.25),
    reduction: z.enum(REDUCTIONS).default('mean'),
    loss_weight: z.number().default(1.0),
    /** the input already holds probabilities (mmdet's py_focal_loss_with_prob). */
    activated: z.boolean().default(false),
  })
  .strict();
export type FocalLossOptions = z.input<typeof focalLossOptions>;

/**
 * mmdetection 3's sigmoid FocalLoss (Lin et al. 2017):
 * BCE(x, t) · (α t + (1 - α)(1 - t)) · pt^γ with pt = (1 - p) t + p (1 - t), p = sigmoid(x).
 * Targets are integer labels [N] (C, or any label outside [0, C), is background: an all-zero
 * row) or one-hot / soft targets shaped like the logits. A weight [N] weighs each row.
 */
export class FocalLoss extends Loss {
  readonly gamma: number;
  readonly alpha: number;
  readonly activated: boolean;

  constructor(options: FocalLossOptions = {}, ctx?: BuildContext) {
    const o = focalLossOptions.parse(options);
    super(o.reduction, o.loss_weight);
    if (!o.use_sigmoid) {
      const detail = 'only the sigmoid focal loss exists (as in mmdetection): use_sigmoid must be true';
      throw ctx ? ctx.error('use_sigmoid', detail) : new ConfigError('use_sigmoid', detail);
    }
    this.gamma = o.gamma;
    this.alpha = o.alpha;
    this.activated = o.activated;
  }

  forward(pred: Tensor, target: Tensor, args: LossArgs = {}): Tensor {
    if (pred.shape.length !== 2) throw new UserError(`FocalLoss expects logits [N, C], got [${pred.shape}]`);
    const [n, c] = pred.shape;
    const t = target.shape.length === pred.shape.length ? F.cast(target, 'float32') : oneHot(target, c, 1);
    const p = this.activated ? pred : F.sigmoid(pred);
    const pt = F.add(F.mul(F.sub(1, p), t), F.mul(p, F.sub(1, t)));
    const alphaT = F.add(F.mul(t, this.alpha), F.mul(F.sub(1, t), 1 - this.alpha));
    const focalWeight = F.mul(alphaT, F.pow(pt, this.gamma));
    const bce = this.activated ? bceOnProbabilities(pred, t) : bceWithLogits(pred, t);
    const loss = F.mul(bce, focalWeight);
    let weight = args.weight ?? null;
    if (weight && !sameShape(weight.shape, loss.shape)) {
      // mmdet: a per-row weight [N] (or anything with N rows) applies across the classes
      const size = weight.shape.reduce((a, b) => a * b, 1);
      if (size !== n && size !== n * c) throw new UserError(`FocalLoss: weight [${weight.shape}] fits neither [${n}] nor the loss [${n}, ${c}]`);
      weight = F.reshape(weight, size === n ? [n, 1] : [n, c]);
    }
    return F.mul(weightReduceLoss(loss, weight, this.reductionFor(args), args.avgFactor ?? null), this.lossWeight);
  }
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

LOSSES.register(focalLossOptions, (o: FocalLossOptions, ctx: BuildContext) => new FocalLoss(o, ctx), {
  name: 'FocalLoss',
  summary: 'sigmoid focal loss (mmdetection 3)',
});
