/**
 * mmdetection's `weight_reduce_loss` (mmdet/models/losses/utils.py), on the op layer so the
 * result stays differentiable. mmseg and mmpretrain share the same rules.
 */
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';

export type Reduction = 'none' | 'mean' | 'sum';
export const REDUCTIONS = ['none', 'mean', 'sum'] as const;

/** torch.finfo(torch.float32).eps: keeps `sum / avg_factor` finite when avg_factor is 0. */
export const FLOAT32_EPS = 2 ** -23;

/** An `avg_factor` as mm* passes it: a number or a scalar tensor. */
export type AvgFactor = number | Tensor;

export function reduceLoss(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return loss;
  return reduction === 'sum' ? F.sum(loss) : F.mean(loss);
}

/**
 * Element-wise `weight` (broadcast against `loss`), then the reduction. With `avgFactor`,
 * 'mean' is sum / (avgFactor + eps) and 'none' keeps the elements; 'sum' with an average
 * factor is refused, as in mmdetection.
 */
export function weightReduceLoss(
  loss: Tensor,
  weight: Tensor | null = null,
  reduction: Reduction = 'mean',
  avgFactor: AvgFactor | null = null,
): Tensor {
  const weighted = weight ? F.mul(loss, F.cast(weight, 'float32')) : loss;
  if (avgFactor === null) return reduceLoss(weighted, reduction);
  if (reduction === 'mean') {
    const denom = typeof avgFactor === 'number' ? Math.fround(avgFactor + FLOAT32_EPS) : F.add(F.cast(avgFactor, 'float32'), FLOAT32_EPS);
    return F.div(F.sum(weighted), denom);
  }
  if (reduction === 'sum') throw new Error('avg_factor can not be used with reduction="sum"');
  return weighted;
}
