import { z } from 'zod';
import * as F from '../../core/ops';
import { UserError } from '../../core/errors';
import { ModuleList } from '../../nn/containers';
import type { Tensor } from '../../core/tensor';
import type { SegDataSample } from '../../structures/seg-data-sample';
import { PixelData } from '../../structures/pixel-data';
import type { LossDict, NamedTensors } from '../base-model';
import { componentCfg, FeatureModel } from '../feature-model';
import { HRNet } from '../backbones/hrnet/hrnet';
import { FCNHead } from '../heads/seg/fcn-head';
import { officialBackboneKeyMap, type KeyRule } from '../backbones/hrnet/official-key-map';
import { HEADS, MODELS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { initCfg } from '../../nn/option-schemas';

export const encoderDecoderSchema = z
  .object({
    backbone: componentCfg,
    decode_head: componentCfg,
    neck: componentCfg.nullable().optional(),
    auxiliary_head: z.union([componentCfg, z.array(componentCfg)]).nullable().optional(),
    /** Resize of the logits to the image; defaults to the decode head's align_corners (as mmseg). */
    align_corners: z.boolean().optional(),
    train_cfg: z.object({}).strict().nullable().optional(),
    /** Whole-image inference only ('slide' windows are not available). */
    test_cfg: z.object({ mode: z.literal('whole').default('whole') }).strict().nullable().optional(),
    data_preprocessor: componentCfg.nullable().optional(),
    pretrained: z.string().nullable().optional(),
    init_cfg: initCfg,
  })
  .strict();
export type EncoderDecoderOptions = z.infer<typeof encoderDecoderSchema>;

/**
 * mmsegmentation's EncoderDecoder: backbone → [neck] → `decode_head`. Tensor mode gives the
 * per-class logits at the head's resolution (`output`, H/4 for HRNet, no softmax); `predict`
 * resizes them to the padded input, crops the padding, undoes a flip, resizes to the original
 * image and takes the arg-max (`pred_sem_seg`, and `seg_logits`); `loss` adds the auxiliary
 * heads' losses under `aux.` (`aux_i.` for a list), as mmseg.
 */
export class EncoderDecoder extends FeatureModel<SegDataSample> {
  readonly head: FCNHead;
  readonly alignCorners: boolean;
  readonly auxiliaryHeads: FCNHead[];
  private readonly auxList: boolean;

  constructor(o: EncoderDecoderOptions, ctx: BuildContext) {
    super({ ...o, backbone: backboneCfg(o, ctx) }, ctx);
    this.head = this.addModule('decode_head', asDecodeHead(ctx.build(HEADS, o.decode_head, 'decode_head'), 'decode_head', ctx));
    this.initCfg = o.init_cfg ?? null;
    this.alignCorners = o.align_corners ?? this.head.alignCorners;
    const aux = o.auxiliary_head ?? null;
    this.auxList = Array.isArray(aux);
    if (Array.isArray(aux)) {
      this.auxiliaryHeads = aux.map((cfg, i) => asDecodeHead(ctx.build(HEADS, cfg, `auxiliary_head.${i}`), `auxiliary_head.${i}`, ctx));
      // indexed keys `auxiliary_head.{i}.*`, as mmseg's ModuleList
      this.addModule('auxiliary_head', new ModuleList(this.auxiliaryHeads));
    } else {
      this.auxiliaryHeads = aux ? [this.addModule('auxiliary_head', asDecodeHead(ctx.build(HEADS, aux, 'auxiliary_head'), 'auxiliary_head', ctx))] : [];
    }
  }

  forwardTensor(inputs: ReadonlyMap<string, Tensor>): NamedTensors {
    return this.headTensorOutputs(inputs, this.head);
  }

  outputNames(): string[] {
    return [...this.featureNames(), 'output'];
  }

  override loss(inputs: Tensor, samples: readonly SegDataSample[]): LossDict {
    const feats = this.extractFeat(inputs);
    const losses: LossDict = new Map([...this.head.loss(feats, samples)].map(([k, v]) => [`decode.${k}`, v]));
    this.auxiliaryHeads.forEach((h, i) => {
      const prefix = this.auxList ? `aux_${i}` : 'aux';
      for (const [k, v] of h.loss(feats, samples)) losses.set(`${prefix}.${k}`, v);
    });
    return losses;
  }

  override predict(inputs: Tensor, samples: readonly SegDataSample[]): SegDataSample[] {
    const logits = this.head.predict(this.extractFeat(inputs), samples);
    return samples.map((s, i) => this.postprocess(F.narrow(logits, 0, i, 1), s, i));
  }

  /** mmseg's postprocess_result for one image: crop the padding, un-flip, resize to ori_shape, arg-max. */
  private postprocess(logits: Tensor, s: SegDataSample, index: number): SegDataSample {
    const [, C, H, W] = logits.shape;
    const m = s.metainfo;
    const [left, right, top, bottom] = (m.img_padding_size ?? m.padding_size ?? [0, 0, 0, 0]) as readonly number[];
    let x = F.slice(logits, [0, 0, top, left], [1, C, H - top - bottom, W - left - right]);
    if (m.flip) {
      if (m.flip_direction !== 'horizontal') throw new UserError(`sample ${index}: only horizontal flips are undone (got ${String(m.flip_direction)})`);
      const w = x.shape[3];
      x = F.gather(x, F.constant({ dtype: 'int32', shape: [w], data: Int32Array.from({ length: w }, (_, j) => w - 1 - j) }), 3);
    }
    const ori = m.ori_shape ?? m.img_shape;
    if (!ori) throw new UserError(`sample ${index} has no ori_shape in its metainfo`);
    x = F.interpolate(x, { size: [ori[0], ori[1]], mode: 'bilinear', alignCorners: this.alignCorners });
    const [h, w] = [ori[0], ori[1]];
    const scores = C > 1 ? x : F.sigmoid(x);
    const pred = C > 1 ? F.argmax(x, 1) : F.cast(F.greater(scores, this.head.threshold), 'int32');
    s.seg_logits = new PixelData(F.toHost(scores).data as Float32Array, [C, h, w]);
    s.pred_sem_seg = new PixelData(Int32Array.from(F.toHost(pred).data as ArrayLike<number>), [1, h, w]);
    return s;
  }

  /**
   * Official seg_hrnet keys: the body at the top level and `last_layer.{0,1,3}` = conv1x1 (with
   * bias), BN, (ReLU,) classifier conv, which is an FCNHead with one conv (`conv_bias: true`).
   */
  override officialKeyMap(): KeyRule[] {
    if (!(this.backbone instanceof HRNet) || this.neck) return [];
    const rules = [
      ...officialBackboneKeyMap(),
      { from: 'last_layer.0.', to: 'decode_head.convs.0.conv.' },
      { from: 'last_layer.1.', to: 'decode_head.convs.0.bn.' },
      { from: 'last_layer.3.', to: 'decode_head.conv_seg.' },
    ];
    // released checkpoints keep the training wrapper's `model.` prefix (the repository's test script strips it)
    return [...rules, ...rules.map((r) => ({ from: `model.${r.from}`, to: r.to }))];
  }
}

function asDecodeHead(m: unknown, key: string, ctx: BuildContext): FCNHead {
  if (!(m instanceof FCNHead)) throw ctx.error(`${key}.type`, 'is not a decode head (FCNHead)');
  return m;
}

/** mmseg's `pretrained` is the backbone's checkpoint (its own keys): it becomes the backbone's Pretrained init_cfg. */
function backboneCfg(o: EncoderDecoderOptions, ctx: BuildContext): EncoderDecoderOptions['backbone'] {
  if (!o.pretrained) return o.backbone;
  if (o.backbone.pretrained != null || o.backbone.init_cfg != null) {
    throw ctx.error('pretrained', 'the backbone sets its own pretrained weights (pretrained or init_cfg); keep one of the two');
  }
  return { ...o.backbone, init_cfg: { type: 'Pretrained', checkpoint: o.pretrained } };
}

MODELS.register(encoderDecoderSchema, (o: EncoderDecoderOptions, ctx: BuildContext) => new EncoderDecoder(o, ctx), {
  name: 'EncoderDecoder',
  summary: 'Semantic segmentation model (mmseg): backbone → [neck] → decode head, logits at the head resolution',
});

// typed TS configs: `{ type: 'EncoderDecoder', ... }` completes and checks these options
declare module '../../config/config-types' {
  interface ModelOptionsMap {
    EncoderDecoder: import('zod').input<typeof encoderDecoderSchema>;
  }
}
