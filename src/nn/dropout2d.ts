import * as F from '../core/ops';
import { hostTensor } from '../core/host-tensor';
import { Module } from '../core/module';
import { globalRandom, type Random } from '../core/random';
import type { Tensor } from '../core/tensor';

/**
 * torch.nn.Dropout2d: in training, each (sample, channel) map is zeroed with probability `p`
 * and the rest scaled by 1 / (1 - p); the identity in eval mode. The mask comes from a seeded
 * generator (the process's, which training seeds), so runs repeat exactly.
 */
export class Dropout2d extends Module {
  constructor(
    readonly p: number,
    private readonly random: () => Random = globalRandom,
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`dropout probability must be in [0, 1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const [n, c] = x.shape;
    const rng = this.random();
    const keep = 1 / (1 - this.p);
    const mask = Float32Array.from({ length: n * c }, () => (this.p < 1 && rng.next() >= this.p ? keep : 0));
    return F.mul(x, F.constant(hostTensor('float32', [n, c, 1, 1], mask)));
  }
}
