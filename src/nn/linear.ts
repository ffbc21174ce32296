import { Module } from '../core/module';
import * as F from '../core/ops';
import type { Parameter } from '../core/parameter';
import type { Tensor } from '../core/tensor';
import { kaimingUniform, uniform } from './init/initializers';

/** torch.nn.Linear: y = x W^T + b, weight [out, in]. */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    bias = true,
  ) {
    super();
    this.weight = this.addParameter('weight', [outFeatures, inFeatures]);
    this.bias = bias ? this.addParameter('bias', [outFeatures]) : null;
    kaimingUniform(this.weight, { a: Math.sqrt(5), mode: 'fan_in', nonlinearity: 'leaky_relu' });
    if (this.bias) uniform(this.bias, -1 / Math.sqrt(inFeatures), 1 / Math.sqrt(inFeatures));
  }

  macs(rows = 1): number {
    return this.weight.numel * rows;
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, F.param(this.weight), this.bias ? F.param(this.bias) : null);
  }
}
