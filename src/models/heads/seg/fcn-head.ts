import { z } from 'zod';
import { FeatureHead } from '../feature-head';
import * as F from '../../../core/ops';
import { Conv2d } from '../../../nn/conv2d';
import { ConvModule } from '../../../nn/conv-module';
import { Identity, Sequential, type TensorModule } from '../../../nn/containers';
import type { NormConfig } from '../../../nn/norm';
import type { InitCfg } from '../../../nn/init/init-cfg';
import type { Tensor } from '../../../core/tensor';
import { HEADS } from '../../../registry/registries';
import type { BuildContext } from '../../../registry/build-context';
import { actCfg, convCfg, initCfg, normCfg } from '../../../nn/option-schemas';
import { hrnetV2Representation } from '../../../nn/blocks/hrnet-representations';

const intOrList = z.union([z.number().int(), z.array(z.number().int()).min(1)]);

export const fcnHeadSchema = z
  .object({
    in_channels: z.union([z.number().int().positive(), z.array(z.number().int().positive()).min(1)]),
    channels: z.number().int().positive(),
    num_classes: z.number().int().positive(),
    out_channels: z.number().int().positive().nullable().optional(),
    threshold: z.number().nullable().optional(),
    num_convs: z.number().int().min(0).default(2),
    kernel_size: z.number().int().positive().default(3),
    concat_input: z.boolean().default(true),
    dilation: z.number().int().positive().default(1),
    dropout_ratio: z.number().max(1).default(0.1),
    conv_cfg: convCfg,
    norm_cfg: normCfg.nullable().default(null),
    act_cfg: actCfg.default({ type: 'ReLU' }),
    in_index: intOrList.default(-1),
    /** 'resize_concat' over all HRNet branches is the HRNetV2 representation. */
    input_transform: z.enum(['resize_concat']).nullable().default(null),
    align_corners: z.boolean().default(false),
    loss_decode: z.union([z.record(z.unknown()), z.array(z.record(z.unknown()))]).optional(),
    ignore_index: z.number().int().default(255),
    sampler: z.record(z.unknown()).nullable().optional(),
    init_cfg: initCfg,
    /**
     * hrdet extension for the official seg_hrnet `last_layer` (whose 1x1 conv has a bias even
     * though a BN follows): the bias of `convs`/`conv_cat`; 'auto' = mmcv's (none before a norm).
     */
    conv_bias: z.union([z.boolean(), z.literal('auto')]).default('auto'),
    /** hrdet extension: kernel of `conv_seg` (official FINAL_CONV_KERNEL, 1 or 3, padded to keep the size). */
    seg_kernel_size: z.union([z.literal(1), z.literal(3)]).default(1),
  })
  .strict();
export type FCNHeadOptions = z.infer<typeof fcnHeadSchema>;

/** mmseg's BaseDecodeHead init_cfg: N(0, 0.01) on `conv_seg`, bias 0 (ConvModules keep mmcv's own init). */
export const DECODE_HEAD_DEFAULT_INIT: InitCfg = { type: 'Normal', std: 0.01, override: { name: 'conv_seg' } };

/**
 * mmsegmentation's FCNHead: select (and with `resize_concat` upsample + concatenate) the input
 * maps, `num_convs` ConvModules, optionally a `conv_cat` over [input, convs output], dropout,
 * and `conv_seg` to per-class logits at the input resolution. With `in_index [0,1,2,3]`,
 * `resize_concat`, `num_convs 1`, `kernel_size 1`, `concat_input false` and
 * `channels = sum(in_channels)` this is the HRNetV2 segmentation head of the official
 * seg_hrnet (`last_layer` = conv1x1 → BN → ReLU → conv_seg). Children: `conv_seg`, `convs`, `conv_cat`.
 */
export class FCNHead extends FeatureHead {
  readonly convSeg: Conv2d;
  readonly convs: TensorModule;
  readonly convCat: ConvModule | null;
  readonly numClasses: number;
  readonly alignCorners: boolean;
  private readonly inIndex: number | number[];
  private readonly resizeConcat: boolean;

  constructor(o: FCNHeadOptions, ctx?: BuildContext) {
    super();
    const fail = (key: string, detail: string) => (ctx ? ctx.error(key, detail) : new Error(`${key}: ${detail}`));
    const inChannels = this.checkInputs(o, fail);
    const outChannels = o.out_channels ?? o.num_classes;
    if (outChannels !== o.num_classes && outChannels !== 1) {
      throw fail('out_channels', `must equal num_classes (${o.num_classes}) or be 1 (binary with a threshold), got ${outChannels}`);
    }
    if (o.num_convs === 0 && inChannels !== o.channels) {
      throw fail('channels', `with num_convs 0 the input passes straight to conv_seg, so channels must equal the input width ${inChannels}`);
    }
    this.numClasses = o.num_classes;
    this.alignCorners = o.align_corners;
    this.inIndex = o.in_index;
    this.resizeConcat = o.input_transform === 'resize_concat';
    this.initCfg = o.init_cfg ?? DECODE_HEAD_DEFAULT_INIT;

    if (o.act_cfg && o.act_cfg.type !== 'ReLU') throw fail('act_cfg.type', `only 'ReLU' is supported by FCNHead, got '${o.act_cfg.type}'`);
    const act = o.act_cfg ? ({ type: 'ReLU' } as const) : null;
    const k = o.seg_kernel_size;
    this.convSeg = this.addModule('conv_seg', new Conv2d(o.channels, outChannels, k, { padding: (k - 1) / 2 }));
    const unit = (cin: number, padding: number, dilation: number) =>
      new ConvModule(cin, o.channels, o.kernel_size, {
        padding,
        dilation,
        bias: o.conv_bias,
        normCfg: (o.norm_cfg as NormConfig | null) ?? null,
        actCfg: act,
      });
    const pad = Math.floor(o.kernel_size / 2) * o.dilation;
    const convs = new Sequential();
    for (let i = 0; i < o.num_convs; i++) convs.append(unit(i === 0 ? inChannels : o.channels, pad, o.dilation));
    this.convs = this.addModule('convs', o.num_convs > 0 ? convs : new Identity());
    this.convCat = o.concat_input ? this.addModule('conv_cat', unit(inChannels + o.channels, Math.floor(o.kernel_size / 2), 1)) : null;
  }

  /** mmseg's _init_inputs: the width entering the convs. */
  private checkInputs(o: FCNHeadOptions, fail: (k: string, d: string) => Error): number {
    if (o.input_transform === 'resize_concat') {
      if (!Array.isArray(o.in_channels) || !Array.isArray(o.in_index) || o.in_channels.length !== o.in_index.length) {
        throw fail('in_index', "with input_transform 'resize_concat', in_channels and in_index must be lists of the same length");
      }
      return o.in_channels.reduce((a, b) => a + b, 0);
    }
    if (Array.isArray(o.in_channels) || Array.isArray(o.in_index)) {
      throw fail('in_channels', "without input_transform, in_channels and in_index must be single integers (or set input_transform: 'resize_concat')");
    }
    return o.in_channels;
  }

  /** The head's input: one selected map, or the selected maps resized to the first and concatenated. */
  transformInputs(feats: readonly Tensor[]): Tensor {
    const pick = (i: number) => {
      const t = feats[i < 0 ? feats.length + i : i];
      if (!t) throw new Error(`FCNHead: in_index ${i} is out of range for ${feats.length} input maps`);
      return t;
    };
    if (!this.resizeConcat) return pick(this.inIndex as number);
    return hrnetV2Representation((this.inIndex as number[]).map(pick), this.alignCorners);
  }

  forward(feats: readonly Tensor[]): Tensor {
    const x = this.transformInputs(feats);
    let y = this.convs.forward(x);
    if (this.convCat) y = this.convCat.forward(F.concat([x, y], 1));
    // dropout is the identity at inference
    return this.convSeg.forward(y);
  }
}

HEADS.register(fcnHeadSchema, (o: FCNHeadOptions, ctx: BuildContext) => new FCNHead(o, ctx), {
  name: 'FCNHead',
  summary: 'Fully convolutional segmentation head (mmseg); with resize_concat over HRNet branches, the HRNetV2 head',
});

// typed TS configs: `{ type: 'FCNHead', ... }` completes and checks these options
declare module '../../../config/config-types' {
  interface HeadOptionsMap {
    FCNHead: import('zod').input<typeof fcnHeadSchema>;
  }
}
