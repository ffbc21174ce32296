import { Module } from '../core/module';
import * as F from '../core/ops';
import type { Parameter } from '../core/parameter';
import type { Tensor } from '../core/tensor';
import { kaimingUniform, uniform } from './init/initializers';

export interface ConvTranspose2dArgs {
  stride?: F.IntOrPair;
  padding?: F.IntOrPair;
  outputPadding?: F.IntOrPair;
  groups?: number;
  bias?: boolean;
  dilation?: F.IntOrPair;
}

/** torch.nn.ConvTranspose2d: weight [in, out/groups, kh, kw], optional bias [out]. */
export class ConvTranspose2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly stride: F.IntOrPair;
  readonly padding: F.IntOrPair;
  readonly outputPadding: F.IntOrPair;
  readonly dilation: F.IntOrPair;
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: F.IntOrPair,
    args: ConvTranspose2dArgs = {},
  ) {
    super();
    const [kh, kw] = F.pair(kernelSize);
    this.groups = args.groups ?? 1;
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new Error(`ConvTranspose2d: channels ${inChannels}->${outChannels} are not divisible by groups=${this.groups}`);
    }
    this.stride = args.stride ?? 1;
    this.padding = args.padding ?? 0;
    this.outputPadding = args.outputPadding ?? 0;
    this.dilation = args.dilation ?? 1;
    this.weight = this.addParameter('weight', [inChannels, outChannels / this.groups, kh, kw]);
    this.bias = args.bias === false ? null : this.addParameter('bias', [outChannels]);
    this.resetParameters();
  }

  /**
   * PyTorch's default (_ConvNd.reset_parameters): kaiming_uniform(a=sqrt(5)) and a bias in
   * U(±1/sqrt(fan_in)), where fan_in comes from the weight's axis 1 (out/groups here) × kh × kw.
   */
  resetParameters(): void {
    kaimingUniform(this.weight, { a: Math.sqrt(5), mode: 'fan_in', nonlinearity: 'leaky_relu' });
    if (this.bias) {
      const fanIn = this.weight.shape.slice(1).reduce((a, b) => a * b, 1);
      const bound = 1 / Math.sqrt(fanIn);
      uniform(this.bias, -bound, bound);
    }
  }

  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, F.param(this.weight), this.bias ? F.param(this.bias) : null, {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}
