import { z } from 'zod';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';
import { OPTIMIZERS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { ConfigError } from '../../core/errors';
import { Optimizer, type ParamGroup, type ParamState } from './optimizer';

export const sgdOptions = z
  .object({
    lr: z.number().nonnegative(),
    momentum: z.number().nonnegative().default(0),
    dampening: z.number().default(0),
    weight_decay: z.number().nonnegative().default(0),
    nesterov: z.boolean().default(false),
    maximize: z.boolean().default(false),
  })
  .strict();
export type SGDOptions = z.input<typeof sgdOptions>;

/**
 * torch.optim.SGD's update, step by step:
 *   g = grad (negated when maximize) + weight_decay * p
 *   buf = g on the first step, else momentum * buf + (1 - dampening) * g
 *   g = g + momentum * buf (nesterov) or buf
 *   p = p - lr * g
 * With momentum 0 no buffer is kept.
 */
export class SGD extends Optimizer {
  constructor(options: SGDOptions, ctx?: BuildContext) {
    const o = sgdOptions.parse(options);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      const detail = `nesterov momentum requires a momentum > 0 and dampening 0, got momentum ${o.momentum}, dampening ${o.dampening}`;
      throw ctx ? ctx.error('nesterov', detail) : new ConfigError('nesterov', detail);
    }
    super(o);
  }

  protected update(p: Tensor, grad: Tensor, group: ParamGroup, state: ParamState): Tensor {
    const lr = group.num('lr');
    const momentum = group.num('momentum');
    const wd = group.num('weight_decay');
    let g = group.flag('maximize') ? F.neg(grad) : grad;
    if (wd !== 0) g = F.add(g, F.mul(p, wd));
    if (momentum !== 0) {
      const prev = this.read(state, 'momentum_buffer');
      const buf = prev ? F.add(F.mul(prev, momentum), F.mul(g, 1 - group.num('dampening'))) : g;
      this.write(state, 'momentum_buffer', buf);
      g = group.flag('nesterov') ? F.add(g, F.mul(buf, momentum)) : buf;
    }
    return F.sub(p, F.mul(g, lr));
  }
}

OPTIMIZERS.register(sgdOptions, (o: SGDOptions, ctx: BuildContext) => new SGD(o, ctx), {
  name: 'SGD',
  summary: 'stochastic gradient descent with momentum, dampening, nesterov and weight decay (torch.optim.SGD)',
});
