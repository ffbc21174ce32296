import { z } from 'zod';
import { BaseHead } from '../base-head';
import { UserError } from '../../../core/errors';
import { hostTensor } from '../../../core/host-tensor';
import type { Module } from '../../../core/module';
import type { SegDataSample } from '../../../structures/seg-data-sample';
import type { LossDict } from '../../../structures/named-tensors';
import { Dropout2d } from '../../../nn/dropout2d';
import { LOSSES } from '../../../registry/registries';
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
const lossCfg = z.object({ type: z.string() }).passthrough();

/** What a decode loss is called with: logits [N, C, H, W], labels [N, H, W] (mmseg's CrossEntropyLoss and kin). */
interface DecodeLoss extends Module {
  readonly lossName?: string;
  forward(pred: Tensor, label: Tensor, args?: { ignoreIndex?: number | null }): Tensor;
}

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
    loss_decode: z
      .union([lossCfg, z.array(lossCfg).min(1)])
      .default({ type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 }),
    ignore_index: z.number().int().default(255),
    /** OHEM pixel sampling is not available: only null is accepted. */
    sampler: z.null().optional(),
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
export class FCNHead extends BaseHead<SegDataSample, Tensor, Tensor> {
  readonly convSeg: Conv2d;
  readonly convs: TensorModule;
  readonly convCat: ConvModule | null;
  readonly numClasses: number;
  readonly alignCorners: boolean;
  readonly ignoreIndex: number;
  readonly threshold: number;
  readonly lossDecode: DecodeLoss[];
  private readonly dropout: Dropout2d | null;
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
    this.ignoreIndex = o.ignore_index;
    this.threshold = o.threshold ?? 0.3;
    const losses = Array.isArray(o.loss_decode) ? o.loss_decode : [o.loss_decode];
    this.lossDecode = ctx ? losses.map((l, i) => ctx.build(LOSSES, l, Array.isArray(o.loss_decode) ? `loss_decode.${i}` : 'loss_decode') as DecodeLoss) : [];
    // mmseg registers no module for dropout_ratio <= 0
    this.dropout = o.dropout_ratio > 0 ? new Dropout2d(o.dropout_ratio) : null;
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
    if (this.dropout) y = this.dropout.forward(y);
    return this.convSeg.forward(y);
  }

  /**
   * mmseg's loss_by_feat: logits resized to the (padded) label maps, every `loss_decode` under
   * its `loss_name` (same names add up), and `acc_seg` (percent of non-ignored pixels right).
   */
  lossByFeat(logits: Tensor, samples: readonly SegDataSample[]): LossDict {
    if (!this.lossDecode.length) throw new UserError('FCNHead was built without a loss');
    const labels = stackLabels(samples);
    const [N, H, W] = labels.shape;
    const resized = F.interpolate(logits, { size: [H, W], mode: 'bilinear', alignCorners: this.alignCorners });
    const target = F.constant(labels);
    const losses: LossDict = new Map();
    for (const l of this.lossDecode) {
      const name = l.lossName ?? 'loss_ce';
      const v = l.forward(resized, target, { ignoreIndex: this.ignoreIndex });
      const prev = losses.get(name) as Tensor | undefined;
      losses.set(name, prev ? F.add(prev, v) : v);
    }
    const pred = F.toHost(F.argmax(resized, 1)).data as Int32Array;
    const gt = labels.data as Int32Array;
    let right = 0;
    let valid = 0;
    for (let i = 0; i < N * H * W; i++) {
      if (gt[i] === this.ignoreIndex) continue;
      valid++;
      if (pred[i] === gt[i]) right++;
    }
    losses.set('acc_seg', F.scalar(valid ? (right * 100) / valid : 0));
    return losses;
  }

  /** mmseg's predict_by_feat: logits resized to the padded input size (`pad_shape`, else `img_shape`). */
  predictByFeat(logits: Tensor, samples: readonly SegDataSample[]): Tensor {
    const meta = samples[0]?.metainfo ?? {};
    const size = meta.pad_shape ?? meta.img_shape;
    if (!size) throw new UserError("segmentation samples need 'img_shape' (or 'pad_shape') in their metainfo");
    return F.interpolate(logits, { size: [size[0], size[1]], mode: 'bilinear', alignCorners: this.alignCorners });
  }
}

/** The samples' label maps [1, H, W] (same size after the preprocessor's padding) as one int32 [N, H, W]. */
function stackLabels(samples: readonly SegDataSample[]) {
  const first = samples[0]?.gt_sem_seg;
  if (!first) throw new UserError('segmentation training needs gt_sem_seg in every sample');
  const [, H, W] = first.shape;
  const out = new Int32Array(samples.length * H * W);
  samples.forEach((s, i) => {
    const g = s.gt_sem_seg;
    if (!g || g.height !== H || g.width !== W) throw new UserError(`sample ${i}: gt_sem_seg must be ${H}×${W} like the others (pad it in the data preprocessor)`);
    out.set(g.array, i * H * W);
  });
  return hostTensor('int32', [samples.length, H, W], out);
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
