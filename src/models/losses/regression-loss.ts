/** The forward mmdetection's box regression losses share (L1, smooth L1, IoU, GIoU). */
import { UserError } from '../../core/errors';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';
import type { Loss, LossArgs } from './loss';
import { weightReduceLoss } from './weight-reduce-loss';

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * An empty `weight` short-cuts to sum(pred · weight) = 0 with a gradient path, as mmdet's
 * `not torch.any(weight > 0)` branch does when there is nothing to regress. (mmdet takes the
 * same branch for non-empty all-zero weights; the regular path gives the same 0 there, and it
 * needs no host read.) An empty target gives pred.sum() · 0, as mmdet's l1_loss and
 * smooth_l1_loss do (its IoU losses have no such branch: `emptyTarget: false`).
 */
export function regressionLoss(
  who: string,
  pred: Tensor,
  target: Tensor,
  args: LossArgs,
  loss: Loss,
  elementwise: (pred: Tensor, target: Tensor) => Tensor,
  opts: { reshapeWeight?: (w: Tensor) => Tensor; shortcutNone?: boolean; emptyTarget?: boolean } = {},
): Tensor {
  const weight = args.weight ?? null;
  const reduction = loss.reductionFor(args);
  // IoU losses keep reduction 'none' on the regular path (mmdet checks it there)
  const shortcut = reduction !== 'none' || (opts.shortcutNone ?? true);
  if (weight && numel(weight.shape) === 0 && shortcut) return F.mul(F.sum(pred), 0);
  if (numel(target.shape) === 0 && (opts.emptyTarget ?? true)) return F.mul(F.sum(pred), 0);
  if (pred.shape.length !== target.shape.length || pred.shape.some((d, i) => d !== target.shape[i])) {
    throw new UserError(`${who}: prediction [${pred.shape}] and target [${target.shape}] differ in shape`);
  }
  const w = weight && opts.reshapeWeight ? opts.reshapeWeight(weight) : weight;
  return F.mul(weightReduceLoss(elementwise(pred, target), w, reduction, args.avgFactor ?? null), loss.lossWeight);
}
