import { z } from 'zod';
import { currentEngine } from '../../core/engine-context';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';
import { UserError } from '../../core/errors';

/** mmengine's `clip_grad`: torch.nn.utils.clip_grad_norm_ (type 'norm') or clip_grad_value_. */
export const clipGradCfg = z.union([
  z
    .object({
      type: z.literal('norm').default('norm'),
      max_norm: z.number().positive(),
      norm_type: z.union([z.number().positive(), z.literal('inf')]).default(2),
      error_if_nonfinite: z.boolean().default(false),
    })
    .strict(),
  z.object({ type: z.literal('value'), clip_value: z.number().positive() }).strict(),
]);
export type ClipGradCfg = z.input<typeof clipGradCfg>;

/**
 * torch.nn.utils.clip_grad_norm_: the norm of all gradients together (the norm of the
 * per-tensor norms), and every gradient scaled by min(1, max_norm / (total + 1e-6)).
 * Returns the scaled gradients and the total norm before clipping.
 */
export function clipGradNorm<K>(
  grads: ReadonlyMap<K, Tensor>,
  maxNorm: number,
  normType: number | 'inf' = 2,
  errorIfNonfinite = false,
): { grads: Map<K, Tensor>; totalNorm: number } {
  if (grads.size === 0) return { grads: new Map(), totalNorm: 0 };
  const p = normType === 'inf' || normType === Infinity ? Infinity : normType;
  const norms = [...grads.values()].map((g) => tensorNorm(g, p));
  const stacked = F.concat(norms.map((n) => F.reshape(n, [1])), 0);
  const total = p === Infinity ? F.max(stacked) : tensorNorm(stacked, p);
  const totalNorm = currentEngine().readSync(total).data[0] as number;
  if (errorIfNonfinite && !Number.isFinite(totalNorm)) {
    throw new UserError(`the total gradient norm is ${totalNorm}: clip_grad.error_if_nonfinite stops training here`);
  }
  const coef = F.minimum(F.div(F.scalar(maxNorm), F.add(total, 1e-6)), 1);
  const out = new Map<K, Tensor>();
  for (const [k, g] of grads) out.set(k, F.mul(g, coef));
  return { grads: out, totalNorm };
}

/** torch.nn.utils.clip_grad_value_: every gradient element clamped to [-clip, clip]. */
export function clipGradValue<K>(grads: ReadonlyMap<K, Tensor>, clip: number): Map<K, Tensor> {
  const out = new Map<K, Tensor>();
  for (const [k, g] of grads) out.set(k, F.clip(g, -clip, clip));
  return out;
}

/** The p-norm of all elements (max |x| for p = inf), as a 0-d tensor. */
function tensorNorm(x: Tensor, p: number): Tensor {
  const a = F.abs(x);
  if (p === Infinity) return F.max(a);
  if (p === 2) return F.sqrt(F.sum(F.mul(x, x)));
  if (p === 1) return F.sum(a);
  return F.pow(F.sum(F.pow(a, p)), 1 / p);
}
