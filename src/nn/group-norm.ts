import { Module } from '../core/module';
import * as F from '../core/ops';
import type { Parameter } from '../core/parameter';
import type { Tensor } from '../core/tensor';
import { constantInit } from './init/initializers';

/** torch.nn.GroupNorm (eps 1e-5). */
export class GroupNorm extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    readonly eps = 1e-5,
    affine = true,
  ) {
    super();
    if (numChannels % numGroups !== 0) {
      throw new Error(`GroupNorm: ${numChannels} channels are not divisible into ${numGroups} groups`);
    }
    this.weight = affine ? this.addParameter('weight', [numChannels]) : null;
    this.bias = affine ? this.addParameter('bias', [numChannels]) : null;
    if (this.weight) constantInit(this.weight, 1);
  }

  forward(x: Tensor): Tensor {
    return F.groupNorm(x, this.numGroups, this.weight ? F.param(this.weight) : null, this.bias ? F.param(this.bias) : null, this.eps);
  }
}
