import { z } from 'zod';
import type { Tensor } from '../../core/tensor';
import type { DetDataSample } from '../../structures/det-data-sample';
import type { InstanceData } from '../../structures/instance-data';
import type { LossDict, NamedTensors } from '../../structures/named-tensors';
import type { ForwardMode } from '../base-model';
import { componentCfg, FeatureModel } from '../feature-model';
import { initCfg } from '../../nn/option-schemas';
import { HEADS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import type { Module } from '../../core/module';

export const singleStageDetectorSchema = z
  .object({
    backbone: componentCfg,
    neck: componentCfg.nullable().optional(),
    bbox_head: componentCfg,
    /** Passed to the head (mmdetection's bbox_head.update(train_cfg=..., test_cfg=...)). */
    train_cfg: z.record(z.unknown()).nullable().optional(),
    test_cfg: z.record(z.unknown()).nullable().optional(),
    data_preprocessor: componentCfg.nullable().optional(),
    init_cfg: initCfg,
  })
  .strict();
export type SingleStageDetectorOptions = z.infer<typeof singleStageDetectorSchema>;

/** What a single-stage detector needs of its dense head. */
export interface DenseDetHead<Out = unknown> extends Module {
  forward(feats: readonly Tensor[]): Out;
  predictByFeat(out: Out, samples: readonly DetDataSample[], rescale?: boolean): InstanceData[];
  /** The head's losses against the samples' gt_instances (mmdetection's loss_by_feat). */
  lossByFeat(out: Out, samples: readonly DetDataSample[]): LossDict;
  /** The raw outputs under their `tensor`-mode names (`cls_score.l`, ...). */
  namedOutputs(out: Out): NamedTensors;
  /** Those names for a pyramid of `levels` levels. */
  outputNames(levels: number): string[];
}

/**
 * mmdetection's SingleStageDetector: backbone → neck → one dense head. `tensor` mode gives
 * the neck levels (`neck.l`) and the head's raw outputs; `predict` writes `pred_instances`
 * (boxes in original-image pixels, scores, labels) into each sample; `loss` gives the head's
 * losses against each sample's `gt_instances` (boxes in the padded-input frame).
 */
export abstract class SingleStageDetector extends FeatureModel<DetDataSample> {
  override readonly modes: readonly ForwardMode[] = ['tensor', 'predict', 'loss'];
  readonly bbox_head: DenseDetHead;

  protected constructor(o: SingleStageDetectorOptions, ctx: BuildContext) {
    super(o, ctx);
    checkHeadChannels(o.bbox_head, this.outputShape().map((f) => f.channels), this.neck ? 'neck' : 'backbone', ctx);
    const head = ctx.build(HEADS, { ...o.bbox_head, train_cfg: o.train_cfg ?? null, test_cfg: o.test_cfg ?? null }, 'bbox_head') as Partial<DenseDetHead> & Module;
    if (typeof head.predictByFeat !== 'function' || typeof head.namedOutputs !== 'function' || typeof head.lossByFeat !== 'function') {
      throw ctx.error('bbox_head.type', `${head.typeName} is not a dense detection head`);
    }
    this.bbox_head = this.addModule('bbox_head', head as DenseDetHead);
    this.initCfg = o.init_cfg ?? null;
  }

  forwardTensor(inputs: ReadonlyMap<string, Tensor>): NamedTensors {
    const named: NamedTensors = new Map();
    const feats = this.extractFeat(this.image(inputs), named);
    const out: NamedTensors = new Map([...named].filter(([k]) => !this.neck || !k.startsWith('backbone.')));
    for (const [k, v] of this.bbox_head.namedOutputs(this.bbox_head.forward(feats))) out.set(k, v);
    return out;
  }

  outputNames(): string[] {
    const feats = this.featureNames().filter((k) => !this.neck || !k.startsWith('backbone.'));
    return [...feats, ...this.bbox_head.outputNames(this.outputShape().length)];
  }

  override predict(inputs: Tensor, samples: readonly DetDataSample[]): DetDataSample[] {
    const head = this.bbox_head;
    const results = head.predictByFeat(head.forward(this.extractFeat(inputs)), samples, true);
    return samples.map((s, i) => {
      s.pred_instances = results[i];
      return s;
    });
  }

  /** mmdetection's SingleStageDetector.loss: the head's losses on the features (call `train()` first). */
  override loss(inputs: Tensor, samples: readonly DetDataSample[]): LossDict {
    const head = this.bbox_head;
    return head.lossByFeat(head.forward(this.extractFeat(inputs)), samples);
  }
}

/** A head whose `in_channels` disagrees with the feature maps it is given fails at build time, by name. */
function checkHeadChannels(head: Record<string, unknown>, channels: number[], source: string, ctx: BuildContext): void {
  const given = head.in_channels;
  const bad = channels.find((c) => c !== given);
  if (typeof given === 'number' && bad !== undefined) {
    throw ctx.error('bbox_head.in_channels', `${given} does not match the ${source}'s output channels [${channels.join(', ')}]`);
  }
}
