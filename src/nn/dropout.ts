import { currentEngine } from '../core/engine-context';
import { hostTensor } from '../core/host-tensor';
import { Module } from '../core/module';
import * as F from '../core/ops';
import { globalRandom, type Random } from '../core/random';
import type { Tensor } from '../core/tensor';

/**
 * torch.nn.Dropout: in training, each element is zeroed with probability p and the rest
 * scaled by 1 / (1 - p); in eval mode it is the identity. The mask is drawn on the host
 * from a seeded generator (the one given, else the global one `seed()` sets), so a run is
 * reproducible; the gradient is the same mask. Symbolic engines (ONNX tracing, shape
 * analysis) see the identity, as PyTorch's ONNX export does.
 */
export class Dropout extends Module {
  constructor(
    readonly p = 0.5,
    private readonly generator: Random | null = null,
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`${this.typeName}: p must be in [0, 1], got ${p}`);
  }

  /** The shape of the mask: one draw per element. */
  protected maskShape(x: Tensor): number[] {
    return [...x.shape];
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0 || !currentEngine().eager) return x;
    const shape = this.maskShape(x);
    const keep = 1 - this.p;
    const rng = this.generator ?? globalRandom();
    const mask = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const kept = keep > 0 ? 1 / keep : 0;
    for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < keep ? kept : 0;
    return F.mul(x, F.constant(hostTensor('float32', shape, mask)));
  }
}
