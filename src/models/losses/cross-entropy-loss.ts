import { z } from 'zod';
import { ConfigError, UserError } from '../../core/errors';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';
import type { BuildContext } from '../../registry/build-context';
import { LOSSES } from '../../registry/registries';
import { bceWithLogits, notIgnored, oneHot, perClass, softmaxCrossEntropy } from './classification-terms';
import { Loss, type LossArgs } from './loss';
import { REDUCTIONS, weightReduceLoss, type AvgFactor, type Reduction } from './weight-reduce-loss';

export const crossEntropyLossOptions = z
  .object({
    use_sigmoid: z.boolean().default(false),
    use_mask: z.boolean().default(false),
    reduction: z.enum(REDUCTIONS).default('mean'),
    class_weight: z.array(z.number()).nullable().default(null),
    /** mmdetection's; null means PyTorch's -100. mmseg heads pass theirs (255) to forward. */
    ignore_index: z.number().int().nullable().default(null),
    loss_weight: z.number().default(1.0),
    avg_non_ignore: z.boolean().default(false),
    /** mmseg: the key this loss is reported under. */
    loss_name: z.string().default('loss_ce'),
  })
  .strict();
export type CrossEntropyLossOptions = z.input<typeof crossEntropyLossOptions>;

/** PyTorch's default ignore_index. */
const TORCH_IGNORE_INDEX = -100;

export interface CrossEntropyArgs extends LossArgs {
  /** overrides the configured ignore_index for this call (mmseg's decode heads pass 255). */
  ignoreIndex?: number | null;
  /** use_mask only: the class of each RoI, whose mask channel is scored (mmdet's third argument). */
  labels?: Tensor;
}

/**
 * mmdetection 3's CrossEntropyLoss (also mmseg's, which adds `loss_name`): softmax cross
 * entropy over axis 1 of [N, C] or [N, C, H, W] logits against integer labels; with
 * `use_sigmoid`, binary cross entropy with logits against one-hot labels (a label equal to
 * C, the background, gets an all-zero row; `class_weight` is BCE's pos_weight, as mmdet
 * passes it); with `use_mask`, binary cross entropy of each RoI's mask on its label's channel,
 * averaged over every pixel. Weights and reduction follow weight_reduce_loss; as in mmdet,
 * `class_weight` scales each element and 'mean' still divides by the element count.
 */
export class CrossEntropyLoss extends Loss {
  readonly useSigmoid: boolean;
  readonly useMask: boolean;
  readonly classWeight: readonly number[] | null;
  readonly ignoreIndex: number | null;
  readonly avgNonIgnore: boolean;
  readonly lossName: string;

  constructor(options: CrossEntropyLossOptions = {}, ctx?: BuildContext) {
    const o = crossEntropyLossOptions.parse(options);
    super(o.reduction, o.loss_weight);
    const fail = (key: string, detail: string) => (ctx ? ctx.error(key, detail) : new ConfigError(key, detail));
    if (o.use_sigmoid && o.use_mask) throw fail('use_mask', 'use_sigmoid and use_mask cannot both be true');
    if (o.use_mask) {
      // mmdet's mask_cross_entropy always averages over all pixels and takes no class weights or ignore index
      if (o.reduction !== 'mean') throw fail('reduction', `use_mask averages over every mask pixel: expected 'mean', got '${o.reduction}'`);
      if (o.class_weight) throw fail('class_weight', 'use_mask takes no class_weight (mmdetection does not apply it per class)');
      if (o.ignore_index !== null) throw fail('ignore_index', 'use_mask takes no ignore_index (mmdetection asserts it is None)');
      if (o.avg_non_ignore) throw fail('avg_non_ignore', 'use_mask takes no avg_non_ignore (nothing is ignored in a mask target)');
    }
    this.useSigmoid = o.use_sigmoid;
    this.useMask = o.use_mask;
    this.classWeight = o.class_weight;
    this.ignoreIndex = o.ignore_index;
    this.avgNonIgnore = o.avg_non_ignore;
    this.lossName = o.loss_name;
  }

  forward(pred: Tensor, label: Tensor, args: CrossEntropyArgs = {}): Tensor {
    const reduction = this.reductionFor(args);
    const ignoreIndex = args.ignoreIndex ?? this.ignoreIndex ?? TORCH_IGNORE_INDEX;
    const weight = args.weight ?? null;
    const avgFactor = args.avgFactor ?? null;
    let loss: Tensor;
    if (this.useMask) loss = this.maskLoss(pred, label, args);
    else if (this.useSigmoid) loss = this.sigmoidLoss(pred, label, weight, reduction, avgFactor, ignoreIndex);
    else loss = this.softmaxLoss(pred, label, weight, reduction, avgFactor, ignoreIndex);
    return F.mul(loss, this.lossWeight);
  }

  private softmaxLoss(pred: Tensor, label: Tensor, weight: Tensor | null, reduction: Reduction, avgFactor: AvgFactor | null, ignoreIndex: number): Tensor {
    checkLabels('CrossEntropyLoss', pred, label);
    const loss = softmaxCrossEntropy(pred, label, this.classWeight, ignoreIndex);
    if (avgFactor === null && this.avgNonIgnore && reduction === 'mean') avgFactor = F.sum(notIgnored(label, ignoreIndex));
    return weightReduceLoss(loss, weight, reduction, avgFactor);
  }

  private sigmoidLoss(pred: Tensor, label: Tensor, weight: Tensor | null, reduction: Reduction, avgFactor: AvgFactor | null, ignoreIndex: number): Tensor {
    let target: Tensor;
    let valid: Tensor;
    if (pred.shape.length !== label.shape.length) {
      // integer labels → one-hot over the C foreground columns; invalid labels weigh 0 in every column
      checkLabels('CrossEntropyLoss (use_sigmoid)', pred, label);
      const labelValid = F.mul(F.cast(F.greaterEqual(F.cast(label, 'int32'), 0), 'float32'), notIgnored(label, ignoreIndex));
      target = oneHot(label, pred.shape[1], 1);
      const perLabel = F.reshape(labelValid, [label.shape[0], 1, ...label.shape.slice(1)]);
      valid = F.tile(perLabel, pred.shape.map((d, i) => (i === 1 ? d : 1)));
      if (weight) weight = F.reshape(weight, [weight.shape[0], 1, ...weight.shape.slice(1)]);
    } else {
      target = F.cast(label, 'float32');
      valid = F.mul(F.cast(F.greaterEqual(target, 0), 'float32'), notIgnored(label, ignoreIndex));
    }
    weight = weight ? F.mul(F.cast(weight, 'float32'), valid) : valid;
    if (avgFactor === null && this.avgNonIgnore && reduction === 'mean') avgFactor = F.sum(valid);
    const posWeight = this.classWeight ? perClass(this.classWeight, pred.shape.length) : null;
    return weightReduceLoss(bceWithLogits(pred, target, posWeight), weight, reduction, avgFactor);
  }

  private maskLoss(pred: Tensor, target: Tensor, args: CrossEntropyArgs): Tensor {
    if (!args.labels) throw new UserError('CrossEntropyLoss (use_mask) needs the RoI labels (args.labels)');
    if (args.avgFactor != null || args.reductionOverride != null || args.weight != null) {
      throw new UserError('CrossEntropyLoss (use_mask) averages over every mask pixel: it takes no weight, avg_factor or reduction_override');
    }
    if (pred.shape.length !== 4 || target.shape.length !== 3) {
      throw new UserError(`CrossEntropyLoss (use_mask) expects mask logits [N, C, H, W] and targets [N, H, W], got [${pred.shape}] and [${target.shape}]`);
    }
    // each RoI's mask logits on its label's channel
    const slice = F.sum(F.mul(pred, F.reshape(oneHot(args.labels, pred.shape[1], 1), [-1, pred.shape[1], 1, 1])), 1);
    return F.mean(bceWithLogits(slice, F.cast(target, 'float32')));
  }
}

function checkLabels(who: string, pred: Tensor, label: Tensor): void {
  const expected = [pred.shape[0], ...pred.shape.slice(2)];
  if (label.shape.length !== expected.length || label.shape.some((d, i) => d !== expected[i])) {
    throw new UserError(`${who}: labels [${label.shape}] do not fit logits [${pred.shape}] (expected [${expected}])`);
  }
}

LOSSES.register(crossEntropyLossOptions, (o: CrossEntropyLossOptions, ctx: BuildContext) => new CrossEntropyLoss(o, ctx), {
  name: 'CrossEntropyLoss',
  summary: 'softmax / sigmoid / mask cross entropy (mmdetection 3, mmseg)',
});
