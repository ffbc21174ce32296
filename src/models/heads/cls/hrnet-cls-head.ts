import { z } from 'zod';
import { ClsHead, clsHeadOptions } from './cls-head';
import * as F from '../../../core/ops';
import { Conv2d } from '../../../nn/conv2d';
import { Linear } from '../../../nn/linear';
import { ModuleList, Sequential } from '../../../nn/containers';
import { ReLU } from '../../../nn/activations';
import { buildNormLayer, type NormConfig } from '../../../nn/norm';
import type { Tensor } from '../../../core/tensor';
import { HEADS } from '../../../registry/registries';
import type { BuildContext } from '../../../registry/build-context';
import { initCfg, normCfg } from '../../../nn/option-schemas';
import type { InitCfg } from '../../../nn/init/init-cfg';
import { ResLayer } from '../../../nn/blocks/res-layer';
import { Bottleneck } from '../../../nn/blocks/bottleneck';

export const hrnetClsHeadSchema = z
  .object({
    /** Width of each HRNet branch (stage-4 `num_channels` times the block expansion). */
    in_channels: z.array(z.number().int().positive()).min(1),
    /** Planes of the per-branch Bottleneck (output 4x wider); the official code fixes [32, 64, 128, 256]. */
    head_channels: z.array(z.number().int().positive()).min(1).default([32, 64, 128, 256]),
    /** Width of the last 1x1 layer; the official code fixes 2048. */
    final_channels: z.number().int().positive().default(2048),
    num_classes: z.number().int().positive().default(1000),
    norm_cfg: normCfg.default({ type: 'BN' }),
    ...clsHeadOptions,
    init_cfg: initCfg,
  })
  .strict();
export type HRNetClsHeadOptions = z.infer<typeof hrnetClsHeadSchema>;

/**
 * The official cls_hrnet's initialisation of these layers when no init_cfg is given: Kaiming
 * normal (fan_out, ReLU) convs, unit norms (biases 0; the Linear keeps PyTorch's default).
 */
export const HRNET_CLS_HEAD_DEFAULT_INIT: InitCfg = [
  { type: 'Kaiming', layer: 'Conv2d' },
  { type: 'Constant', val: 1, layer: '_BatchNorm' },
];

/**
 * The ImageNet classification head of the official HRNet (cls_hrnet), named as a head here
 * because mmpretrain has no equivalent (its HRNet classifiers use HRFuseScales + a linear head,
 * a different network). Each branch i is widened by one Bottleneck (`incre_modules[i]`); from
 * the highest resolution down, y = incre[i](x_i) + downsamp[i-1](y) with downsamp a stride-2
 * conv3x3 (bias) → BN → ReLU; then `final_layer` conv1x1 (bias) → BN → ReLU, global average
 * pooling and the `classifier` Linear. Keys match cls_hrnet's under the `head.` prefix;
 * loss and prediction are mmpretrain ClsHead's.
 */
export class HRNetClsHead extends ClsHead {
  readonly increModules: ModuleList<ResLayer>;
  readonly downsampModules: ModuleList<Sequential>;
  readonly finalLayer: Sequential;
  readonly classifier: Linear;
  readonly numClasses: number;

  constructor(o: HRNetClsHeadOptions, ctx?: BuildContext) {
    super(o, ctx);
    if (o.head_channels.length !== o.in_channels.length) {
      const detail = `needs one entry per branch (in_channels has ${o.in_channels.length}), got ${o.head_channels.length}`;
      throw ctx ? ctx.error('head_channels', detail) : new Error(`head_channels: ${detail}`);
    }
    const norm = o.norm_cfg as NormConfig;
    const wide = o.head_channels.map((c) => c * Bottleneck.expansion);
    this.numClasses = o.num_classes;
    this.initCfg = o.init_cfg ?? HRNET_CLS_HEAD_DEFAULT_INIT;
    this.increModules = this.addModule(
      'incre_modules',
      new ModuleList(o.in_channels.map((c, i) => new ResLayer(Bottleneck, c, o.head_channels[i], 1, { normCfg: norm }))),
    );
    const downsamp = new ModuleList<Sequential>();
    for (let i = 0; i + 1 < wide.length; i++) {
      downsamp.push(
        new Sequential(new Conv2d(wide[i], wide[i + 1], 3, { stride: 2, padding: 1 }), buildNormLayer(norm, wide[i + 1])[1], new ReLU()),
      );
    }
    this.downsampModules = this.addModule('downsamp_modules', downsamp);
    this.finalLayer = this.addModule(
      'final_layer',
      new Sequential(new Conv2d(wide[wide.length - 1], o.final_channels, 1), buildNormLayer(norm, o.final_channels)[1], new ReLU()),
    );
    this.classifier = this.addModule('classifier', new Linear(o.final_channels, o.num_classes));
  }

  forward(feats: readonly Tensor[]): Tensor {
    return this.classifier.forward(this.pooled(feats));
  }

  /** The globally average-pooled [N, final_channels] vector fed to the classifier. */
  pooled(feats: readonly Tensor[]): Tensor {
    return F.flatten(F.globalAvgPool(this.finalFeatures(feats)), 1);
  }

  /** Output of `final_layer` (before pooling). */
  finalFeatures(feats: readonly Tensor[]): Tensor {
    if (feats.length !== this.increModules.length) {
      throw new Error(`HRNetClsHead expects ${this.increModules.length} branches, got ${feats.length}`);
    }
    let y = this.increModules.at(0).forward(feats[0]);
    for (let i = 0; i < this.downsampModules.length; i++) {
      y = F.add(this.increModules.at(i + 1).forward(feats[i + 1]), this.downsampModules.at(i).forward(y));
    }
    return this.finalLayer.forward(y);
  }
}

HEADS.register(hrnetClsHeadSchema, (o: HRNetClsHeadOptions, ctx: BuildContext) => new HRNetClsHead(o, ctx), {
  name: 'HRNetClsHead',
  summary: 'Official HRNet ImageNet head: per-branch Bottlenecks, stride-2 merging chain, 2048-d 1x1 layer, linear classifier',
});

// typed TS configs: `{ type: 'HRNetClsHead', ... }` completes and checks these options
declare module '../../../config/config-types' {
  interface HeadOptionsMap {
    HRNetClsHead: import('zod').input<typeof hrnetClsHeadSchema>;
  }
}
