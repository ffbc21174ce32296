import * as F from '../core/ops';
import { UserError } from '../core/errors';
import type { Tensor } from '../core/tensor';
import { lossScalar, type LossDict } from '../structures/named-tensors';

/**
 * mmengine's parse_losses: the back-propagated total is the sum of every entry whose name
 * contains `loss` (a tensor reduced to a scalar by its mean, a list by the sum of its
 * elements' means: the per-level losses of dense heads); the others (`acc`, `acc_pose`, ...)
 * are only logged. Throws when no entry is a loss.
 */
export function parseLosses(losses: LossDict): { total: Tensor; terms: Map<string, Tensor> } {
  const terms = new Map<string, Tensor>();
  let total: Tensor | null = null;
  for (const [name, v] of losses) {
    const scalar = lossScalar(v);
    terms.set(name, scalar);
    if (name.includes('loss')) total = total ? F.add(total, scalar) : scalar;
  }
  if (!total) throw new UserError(`the model returned no loss term (got: ${[...losses.keys()].join(', ') || 'nothing'})`);
  return { total, terms };
}
