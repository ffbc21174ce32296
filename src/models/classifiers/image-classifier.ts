import { z } from 'zod';
import type { Tensor } from '../../core/tensor';
import type { ClsDataSample } from '../../structures/cls-data-sample';
import type { LossDict, NamedTensors } from '../base-model';
import { componentCfg, FeatureModel } from '../feature-model';
import { HRNet } from '../backbones/hrnet/hrnet';
import { ClsHead } from '../heads/cls/cls-head';
import { HRNetClsHead } from '../heads/cls/hrnet-cls-head';
import { officialBackboneKeyMap, type KeyRule } from '../backbones/hrnet/official-key-map';
import { HEADS, MODELS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { initCfg } from '../../nn/option-schemas';

export const imageClassifierSchema = z
  .object({
    backbone: componentCfg,
    neck: componentCfg.nullable().optional(),
    head: componentCfg,
    pretrained: z.string().nullable().optional(),
    /** Batch augmentations (mixup, cutmix) are not available: only an empty train_cfg is accepted. */
    train_cfg: z.object({ augments: z.null().optional() }).strict().nullable().optional(),
    data_preprocessor: componentCfg.nullable().optional(),
    init_cfg: initCfg,
  })
  .strict();
export type ImageClassifierOptions = z.infer<typeof imageClassifierSchema>;

/**
 * mmpretrain's ImageClassifier: backbone → [neck] → head; `output` is the class logits
 * [N, num_classes] (no softmax); `predict` sets `pred_score` (softmax) and `pred_label`.
 * With HRNet and HRNetClsHead this is the official cls_hrnet, whose checkpoints load through
 * `officialKeyMap()`.
 */
export class ImageClassifier extends FeatureModel<ClsDataSample> {
  readonly head: ClsHead;

  constructor(o: ImageClassifierOptions, ctx: BuildContext) {
    super(o, ctx);
    const head = ctx.build(HEADS, o.head, 'head');
    if (!(head instanceof ClsHead)) throw ctx.error('head.type', `'${String(o.head.type)}' is not a classification head`);
    this.head = this.addModule('head', head);
    // mmpretrain's `pretrained`: a checkpoint of the whole classifier (backbone.*, head.*)
    if (o.pretrained && o.init_cfg != null) {
      throw ctx.error('pretrained', "init_cfg and pretrained cannot both be set; keep init_cfg: {type: 'Pretrained', checkpoint: ...}");
    }
    this.initCfg = o.pretrained ? { type: 'Pretrained', checkpoint: o.pretrained } : (o.init_cfg ?? null);
  }

  forwardTensor(inputs: ReadonlyMap<string, Tensor>): NamedTensors {
    return this.headTensorOutputs(inputs, this.head);
  }

  outputNames(): string[] {
    return [...this.featureNames(), 'output'];
  }

  override loss(inputs: Tensor, samples: readonly ClsDataSample[]): LossDict {
    return this.head.loss(this.extractFeat(inputs), samples);
  }

  override predict(inputs: Tensor, samples: readonly ClsDataSample[]): ClsDataSample[] {
    const { scores, labels } = this.head.predict(this.extractFeat(inputs), samples);
    return samples.map((s, i) => {
      s.pred_score = scores[i];
      s.pred_label = Int32Array.of(labels[i]);
      return s;
    });
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
