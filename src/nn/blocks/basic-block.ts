import * as F from '../../core/ops';
import type { Conv2d } from '../conv2d';
import type { TensorModule } from '../containers';
import type { Tensor } from '../../core/tensor';
import { blockConv, blockNorm, ResidualBlock, type ResidualBlockOptions } from './residual-block';

/**
 * The two-conv residual unit of ResNet-18/34 and of HRNet's branches (mmdet's BasicBlock):
 * conv3x3(stride, dilation) → bn1 → ReLU → conv3x3 → bn2, plus the identity (or `downsample`),
 * then ReLU. Children in PyTorch order: conv1, bn1, conv2, bn2, downsample.
 */
export class BasicBlock extends ResidualBlock {
  static readonly expansion = 1;
  readonly outChannels: number;
  readonly conv1: Conv2d;
  readonly norm1: TensorModule;
  readonly conv2: Conv2d;
  readonly norm2: TensorModule;
  readonly downsample: TensorModule | null;

  constructor(inplanes: number, planes: number, opts: ResidualBlockOptions = {}) {
    super();
    if ((opts.groups ?? 1) !== 1) throw new Error(`BasicBlock supports only groups=1, got ${opts.groups}`);
    const stride = opts.stride ?? 1;
    const dilation = opts.dilation ?? 1;
    this.outChannels = planes * BasicBlock.expansion;
    this.conv1 = this.addModule('conv1', blockConv(inplanes, planes, 3, { stride, padding: dilation, dilation }));
    this.norm1 = this.addModule(...blockNorm(opts.normCfg, planes, 1));
    // mmdet's second conv keeps padding 1 and no dilation, whatever the block's dilation
    this.conv2 = this.addModule('conv2', blockConv(planes, planes, 3, { padding: 1 }));
    this.norm2 = this.addModule(...blockNorm(opts.normCfg, planes, 2));
    this.downsample = opts.downsample ? this.addModule('downsample', opts.downsample) : null;
  }

  get lastNorm(): TensorModule {
    return this.norm2;
  }

  forward(x: Tensor): Tensor {
    let out = F.relu(this.norm1.forward(this.conv1.forward(x)));
    out = this.norm2.forward(this.conv2.forward(out));
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return F.relu(F.add(out, identity));
  }
}
