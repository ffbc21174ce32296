import { z } from 'zod';
import { SingleHeadModel } from '../single-head-model';
import * as F from '../../core/ops';
import type { Module } from '../../core/module';
import { ModuleList } from '../../nn/containers';
import type { Tensor } from '../../core/tensor';
import { HEADS, MODELS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { initCfg } from '../../nn/option-schemas';
import { HRNet } from '../backbones/hrnet/hrnet';
import { FCNHead } from '../heads/seg/fcn-head';
import { officialBackboneKeyMap, type KeyRule } from '../backbones/hrnet/official-key-map';

const componentCfg = z.record(z.unknown());

export const encoderDecoderSchema = z
  .object({
    backbone: componentCfg,
    decode_head: componentCfg,
    neck: componentCfg.nullable().optional(),
    auxiliary_head: z.union([componentCfg, z.array(componentCfg)]).nullable().optional(),
    /** Resize of the logits to the image; defaults to the decode head's align_corners (as mmseg). */
    align_corners: z.boolean().optional(),
    train_cfg: z.record(z.unknown()).nullable().optional(),
    test_cfg: z.record(z.unknown()).nullable().optional(),
    data_preprocessor: z.record(z.unknown()).nullable().optional(),
    pretrained: z.string().nullable().optional(),
    init_cfg: initCfg,
  })
  .strict();
export type EncoderDecoderOptions = z.infer<typeof encoderDecoderSchema>;

/**
 * mmsegmentation's EncoderDecoder: backbone → [neck] → `decode_head`, whose `output` is the
 * per-class logits at the head's resolution (H/4 for HRNet, no softmax). `resizeToInput`
 * is the resize to the image that inference applies afterwards. Auxiliary heads are built
 * (so training checkpoints load) but take no part in inference.
 */
export class EncoderDecoder extends SingleHeadModel {
  readonly alignCorners: boolean;
  readonly testCfg: Record<string, unknown> | null;
  readonly auxiliaryHeads: Module[];

  constructor(o: EncoderDecoderOptions, ctx: BuildContext) {
    super({ backbone: backboneCfg(o, ctx), neck: o.neck, head: o.decode_head }, 'decode_head', ctx);
    this.initCfg = o.init_cfg ?? null;
    this.alignCorners = o.align_corners ?? (this.head as { alignCorners?: boolean }).alignCorners ?? false;
    this.testCfg = o.test_cfg ?? null;
    const aux = o.auxiliary_head ?? null;
    if (Array.isArray(aux)) {
      this.auxiliaryHeads = aux.map((cfg, i) => ctx.build(HEADS, cfg, `auxiliary_head.${i}`));
      // indexed keys `auxiliary_head.{i}.*`, as mmseg's ModuleList
      this.addModule('auxiliary_head', new ModuleList(this.auxiliaryHeads));
    } else {
      this.auxiliaryHeads = aux ? [this.addModule('auxiliary_head', ctx.build(HEADS, aux, 'auxiliary_head'))] : [];
    }
  }

  /** Logits bilinearly resized to the input's H x W (`align_corners` of this model). */
  resizeToInput(logits: Tensor, size: readonly [number, number]): Tensor {
    return F.interpolate(logits, { size: [size[0], size[1]], mode: 'bilinear', alignCorners: this.alignCorners });
  }

  /**
   * Official seg_hrnet keys: the body at the top level and `last_layer.{0,1,3}` = conv1x1 (with
   * bias), BN, (ReLU,) classifier conv, which is an FCNHead with one conv (`conv_bias: true`).
   */
  override officialKeyMap(): KeyRule[] {
    if (!(this.backbone instanceof HRNet) || !(this.head instanceof FCNHead) || this.neck) return [];
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

/** mmseg's `pretrained` is the backbone's checkpoint (its own keys): it becomes the backbone's Pretrained init_cfg. */
function backboneCfg(o: EncoderDecoderOptions, ctx: BuildContext): Record<string, unknown> {
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
