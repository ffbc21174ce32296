import { z } from 'zod';
import { UserError } from '../../core/errors';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';
import { LOSSES } from '../../registry/registries';
import { bceWithLogits, oneHot } from './classification-terms';
import { Loss, type LossArgs } from './loss';
import { REDUCTIONS, weightReduceLoss } from './weight-reduce-loss';

export const labelSmoothLossOptions = z
  .object({
    label_smooth_val: z.number().min(0).lt(1),
    num_classes: z.number().int().positive().nullable().default(null),
    /** null: sigmoid in 'multi_label' mode, softmax otherwise (mmpretrain's rule). */
    use_sigmoid: z.boolean().nullable().default(null),
    mode: z.enum(['original', 'classy_vision', 'multi_label']).default('original'),
    reduction: z.enum(REDUCTIONS).default('mean'),
    loss_weight: z.number().default(1.0),
  })
  .strict();
export type LabelSmoothLossOptions = z.input<typeof labelSmoothLossOptions>;

/**
 * mmpretrain's LabelSmoothLoss (Szegedy et al. 2016). Integer labels [N] (or [N, 1]) become
 * one-hot; float labels [N, C] (mixup / cutmix) are taken as they are. Then 'original'
 * smooths to (1 - ε) y + ε / C, 'classy_vision' does the same with ε / (1 + ε), and
 * 'multi_label' to ε where y is 0 and 1 - ε where it is positive. The smoothed targets go to
 * the soft cross entropy -Σ y log softmax(x) (or, with use_sigmoid, binary cross entropy with
 * logits), weighted per sample and reduced by weight_reduce_loss.
 */
export class LabelSmoothLoss extends Loss {
  readonly mode: 'original' | 'classy_vision' | 'multi_label';
  readonly numClasses: number | null;
  readonly useSigmoid: boolean;
  /** the ε the smoothing formula uses */
  readonly eps: number;

  constructor(options: LabelSmoothLossOptions) {
    const o = labelSmoothLossOptions.parse(options);
    super(o.reduction, o.loss_weight);
    this.mode = o.mode;
    this.numClasses = o.num_classes;
    this.useSigmoid = o.use_sigmoid ?? o.mode === 'multi_label';
    this.eps = o.mode === 'classy_vision' ? o.label_smooth_val / (1 + o.label_smooth_val) : o.label_smooth_val;
  }

  forward(pred: Tensor, label: Tensor, args: LossArgs = {}): Tensor {
    if (pred.shape.length !== 2) throw new UserError(`LabelSmoothLoss expects scores [N, C], got [${pred.shape}]`);
    const c = pred.shape[1];
    if (this.numClasses !== null && this.numClasses !== c) {
      throw new UserError(`LabelSmoothLoss: num_classes is ${this.numClasses} but the scores have ${c} classes`);
    }
    const isIndex = label.shape.length === 1 || (label.shape.length === 2 && label.shape[1] === 1);
    const hot = isIndex ? oneHot(F.reshape(label, [-1]), c, 1) : F.cast(label, 'float32');
    if (hot.shape[0] !== pred.shape[0] || hot.shape[1] !== c) {
      throw new UserError(`LabelSmoothLoss: labels [${label.shape}] do not fit scores [${pred.shape}]`);
    }
    const target = this.smooth(hot, c);
    let weight = args.weight ?? null;
    let loss: Tensor;
    if (this.useSigmoid) {
      loss = bceWithLogits(pred, target);
      if (weight) weight = F.reshape(weight, [-1, 1]);
    } else {
      loss = F.neg(F.sum(F.mul(target, F.logSoftmax(pred, -1)), -1));
    }
    return F.mul(weightReduceLoss(loss, weight, this.reductionFor(args), args.avgFactor ?? null), this.lossWeight);
  }

  private smooth(hot: Tensor, c: number): Tensor {
    if (this.mode === 'multi_label') return F.where(F.greater(hot, 0), F.scalar(1 - this.eps), F.scalar(this.eps));
    return F.add(F.mul(hot, 1 - this.eps), this.eps / c);
  }
}

LOSSES.register(labelSmoothLossOptions, (o: LabelSmoothLossOptions) => new LabelSmoothLoss(o), {
  name: 'LabelSmoothLoss',
  summary: 'label-smoothed cross entropy (mmpretrain)',
});
