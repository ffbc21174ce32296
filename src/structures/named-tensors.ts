import * as F from '../core/ops';
import type { Tensor } from '../core/tensor';

/** Named tensors in a stable order: a model's raw inputs and outputs in `tensor` mode. */
export type NamedTensors = Map<string, Tensor>;

/**
 * One entry of a loss dict: a tensor, or a list of them (mmdet's dense heads return one loss
 * per pyramid level, e.g. `loss_rpn_cls`; mmengine's parse_losses sums their means).
 */
export type LossValue = Tensor | readonly Tensor[];

/**
 * Named losses in the order the heads produce them (mmdet's loss dict). Entries whose name
 * contains `loss` are summed into the total that is back-propagated (mmengine's parse_losses);
 * the others (`acc`, `acc_pose`, ...) are logged only.
 */
export type LossDict = Map<string, LossValue>;

/** The entry as one scalar, as parse_losses reduces it: the mean of a tensor, the sum of a list's means. */
export function lossScalar(v: LossValue): Tensor {
  const mean = (t: Tensor) => (t.shape.length === 0 ? t : F.mean(t));
  if (!isLossList(v)) return mean(v);
  if (v.length === 0) throw new Error('a loss entry is an empty list');
  return v.slice(1).reduce<Tensor>((a, b) => F.add(a, mean(b)), mean(v[0]));
}

export function isLossList(v: LossValue): v is readonly Tensor[] {
  return Array.isArray(v);
}
