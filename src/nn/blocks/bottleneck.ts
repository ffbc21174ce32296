import * as F from '../../core/ops';
import type { Conv2d } from '../conv2d';
import type { TensorModule } from '../containers';
import type { Tensor } from '../../core/tensor';
import { blockConv, blockNorm, ResidualBlock, type ResidualBlockOptions } from './residual-block';

/**
 * The 1x1 → 3x3 → 1x1 residual unit of ResNet-50+ / ResNeXt and of HRNet's first stage
 * (mmdet's Bottleneck, expansion 4). `style` decides which conv carries the stride; with
 * `groups` > 1 the 3x3 conv is grouped and the inner width is mmdet ResNeXt's
 * floor(planes * base_width / base_channels) * groups. Children: conv1, bn1, conv2, bn2,
 * conv3, bn3, downsample.
 */
export class Bottleneck extends ResidualBlock {
  static readonly expansion = 4;
  readonly outChannels: number;
  readonly width: number;
  readonly conv1: Conv2d;
  readonly norm1: TensorModule;
  readonly conv2: Conv2d;
  readonly norm2: TensorModule;
  readonly conv3: Conv2d;
  readonly norm3: TensorModule;
  readonly downsample: TensorModule | null;

  constructor(inplanes: number, planes: number, opts: ResidualBlockOptions = {}) {
    super();
    const stride = opts.stride ?? 1;
    const dilation = opts.dilation ?? 1;
    const groups = opts.groups ?? 1;
    const style = opts.style ?? 'pytorch';
    const [stride1, stride2] = style === 'pytorch' ? [1, stride] : [stride, 1];
    this.width = bottleneckWidth(planes, groups, opts.baseWidth ?? 4, opts.baseChannels ?? 64);
    this.outChannels = planes * Bottleneck.expansion;
    this.conv1 = this.addModule('conv1', blockConv(inplanes, this.width, 1, { stride: stride1 }));
    this.norm1 = this.addModule(...blockNorm(opts.normCfg, this.width, 1));
    this.conv2 = this.addModule(
      'conv2',
      blockConv(this.width, this.width, 3, { stride: stride2, padding: dilation, dilation, groups }),
    );
    this.norm2 = this.addModule(...blockNorm(opts.normCfg, this.width, 2));
    this.conv3 = this.addModule('conv3', blockConv(this.width, this.outChannels, 1));
    this.norm3 = this.addModule(...blockNorm(opts.normCfg, this.outChannels, 3));
    this.downsample = opts.downsample ? this.addModule('downsample', opts.downsample) : null;
  }

  get lastNorm(): TensorModule {
    return this.norm3;
  }

  forward(x: Tensor): Tensor {
    let out = F.relu(this.norm1.forward(this.conv1.forward(x)));
    out = F.relu(this.norm2.forward(this.conv2.forward(out)));
    out = this.norm3.forward(this.conv3.forward(out));
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return F.relu(F.add(out, identity));
  }
}

/** Inner width of a bottleneck: `planes` for ResNet, mmdet ResNeXt's grouped width otherwise. */
export function bottleneckWidth(planes: number, groups: number, baseWidth: number, baseChannels: number): number {
  if (groups === 1) return planes;
  return Math.floor((planes * baseWidth) / baseChannels) * groups;
}
