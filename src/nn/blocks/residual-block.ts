import { Module } from '../../core/module';
import { Conv2d } from '../conv2d';
import { buildNormLayer, type NormConfig } from '../norm';
import type { TensorModule } from '../containers';
import type { Tensor } from '../../core/tensor';

/** Options every residual block takes (mmdetection's BasicBlock / Bottleneck arguments). */
export interface ResidualBlockOptions {
  stride?: number;
  dilation?: number;
  /** Projection applied to the identity path when shape changes (mmdet `downsample`). */
  downsample?: TensorModule | null;
  /** 'pytorch': a bottleneck strides on its 3x3 conv; 'caffe': on its first 1x1. */
  style?: 'pytorch' | 'caffe';
  normCfg?: NormConfig;
  /** ResNeXt: groups of the 3x3 conv (1 = plain ResNet). */
  groups?: number;
  /** ResNeXt: width of each group per 64 base channels. */
  baseWidth?: number;
  /** ResNeXt: the network's base channels (mmdet divides base_width by it). */
  baseChannels?: number;
}

/** The static side of a block class: what a stage builder needs to know before building one. */
export interface ResidualBlockClass {
  readonly expansion: number;
  new (inplanes: number, planes: number, opts?: ResidualBlockOptions): ResidualBlock;
}

/** Common shape of BasicBlock and Bottleneck: a residual unit whose last norm can be zero-initialised. */
export abstract class ResidualBlock extends Module implements TensorModule {
  abstract readonly outChannels: number;
  /** The norm layer closing the residual branch (mmdet zero_init_residual targets it). */
  abstract get lastNorm(): TensorModule;
  abstract forward(x: Tensor): Tensor;
}

/** A bias-free convolution, as every conv inside a residual block is. */
export function blockConv(
  cin: number,
  cout: number,
  kernel: number,
  args: { stride?: number; padding?: number; dilation?: number; groups?: number } = {},
): Conv2d {
  return new Conv2d(cin, cout, kernel, { ...args, bias: false });
}

/** mmcv's build_norm_layer with a numbered postfix: `bn1`, `bn2`, ... (or `gn1`, ...). */
export function blockNorm(cfg: NormConfig | undefined, channels: number, postfix: number): [string, TensorModule] {
  return buildNormLayer(cfg ?? { type: 'BN' }, channels, postfix);
}
