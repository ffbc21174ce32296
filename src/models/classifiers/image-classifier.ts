import { z } from 'zod';
import { SingleHeadModel } from '../single-head-model';
import { MODELS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { initCfg } from '../../nn/option-schemas';
import { HRNet } from '../backbones/hrnet/hrnet';
import { HRNetClsHead } from '../heads/cls/hrnet-cls-head';
import { officialBackboneKeyMap, type KeyRule } from '../backbones/hrnet/official-key-map';

const componentCfg = z.record(z.unknown());

export const imageClassifierSchema = z
  .object({
    backbone: componentCfg,
    neck: componentCfg.nullable().optional(),
    head: componentCfg,
    pretrained: z.string().nullable().optional(),
    train_cfg: z.record(z.unknown()).nullable().optional(),
    data_preprocessor: z.record(z.unknown()).nullable().optional(),
    init_cfg: initCfg,
  })
  .strict();
export type ImageClassifierOptions = z.infer<typeof imageClassifierSchema>;

/**
 * mmpretrain's ImageClassifier: backbone → [neck] → head; `output` is the class logits
 * [N, num_classes] (no softmax). With HRNet and HRNetClsHead this is the official cls_hrnet,
 * whose checkpoints load through `officialKeyMap()`.
 */
export class ImageClassifier extends SingleHeadModel {
  constructor(o: ImageClassifierOptions, ctx: BuildContext) {
    super({ backbone: o.backbone, neck: o.neck, head: o.head }, 'head', ctx);
    // mmpretrain's `pretrained`: a checkpoint of the whole classifier (backbone.*, head.*)
    if (o.pretrained && o.init_cfg != null) {
      throw ctx.error('pretrained', "init_cfg and pretrained cannot both be set; keep init_cfg: {type: 'Pretrained', checkpoint: ...}");
    }
    this.initCfg = o.pretrained ? { type: 'Pretrained', checkpoint: o.pretrained } : (o.init_cfg ?? null);
  }

  /** Official cls_hrnet keys: the body at the top level, the head's four parts beside it. */
  override officialKeyMap(): KeyRule[] {
    if (!(this.backbone instanceof HRNet) || !(this.head instanceof HRNetClsHead) || this.neck) return [];
    const head = ['incre_modules', 'downsamp_modules', 'final_layer', 'classifier'].map((k) => ({ from: `${k}.`, to: `head.${k}.` }));
    return [...officialBackboneKeyMap(), ...head];
  }
}

MODELS.register(imageClassifierSchema, (o: ImageClassifierOptions, ctx: BuildContext) => new ImageClassifier(o, ctx), {
  name: 'ImageClassifier',
  summary: 'Image classification model (mmpretrain): backbone → [neck] → classification head, logits out',
});

// typed TS configs: `{ type: 'ImageClassifier', ... }` completes and checks these options
declare module '../../config/config-types' {
  interface ModelOptionsMap {
    ImageClassifier: import('zod').input<typeof imageClassifierSchema>;
  }
}
