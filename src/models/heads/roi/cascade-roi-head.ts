import { z } from 'zod';
import { Module } from '../../../core/module';
import { UserError } from '../../../core/errors';
import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import { ModuleList } from '../../../nn/containers';
import { initCfg } from '../../../nn/option-schemas';
import type { BuildContext } from '../../../registry/build-context';
import { HEADS } from '../../../registry/registries';
import type { DetDataSample } from '../../../structures/det-data-sample';
import type { HostTensor } from '../../../core/host-tensor';
import type { BitmapMasks } from '../../../structures/masks';
import type { NamedTensors } from '../../../structures/named-tensors';
import { componentCfg } from './component-cfg';
import { ConvFCBBoxHead, type BBoxHeadOutputs } from './convfc-bbox-head';
import type { FCNMaskHead } from './fcn-mask-head';
import { oriShapeOf, scaleFactorOf, type ImageGeometry } from './image-metas';
import { buildMaskHead, buildRoIExtractor, emptyRows } from './mask-branch';
import type { Detections } from './multiclass-nms';
import { rcnnTestCfg, type RCNNTestCfg } from './rcnn-test-cfg';
import type { RoIDetections, RoIHead, RoIHeadOutputNames, RoIHeadResult } from './roi-head';
import type { SingleRoIExtractor } from './single-roi-extractor';
import { imageRois } from './standard-roi-head';
import type { LossDict } from '../../../structures/named-tensors';
import type { SamplingResult } from '../../task-modules/samplers/sampling-result';
import type { AssignAndSample } from '../assign-and-sample';
import type { BBoxTargets } from './bbox-targets';
import { maskLoss, maskSizeOf } from './mask-loss';
import type { RCNNTrainCfg } from './rcnn-train-cfg';
import { refineBboxes } from './refine-bboxes';
import { proposalBoxes, sampledRoIs, sampleRoIs } from './sample-rois';

/** One component config for every stage, or a list of one per stage (mmdetection's MultiConfig). */
const perStage = z.union([componentCfg, z.array(componentCfg).min(1)]);

export const cascadeRoIHeadOptions = z
  .object({
    num_stages: z.number().int().positive(),
    /** Weights of each stage's losses (the training side reads them). */
    stage_loss_weights: z.array(z.number()),
    bbox_roi_extractor: perStage,
    bbox_head: perStage,
    mask_roi_extractor: perStage.nullable().optional(),
    mask_head: perStage.nullable().optional(),
    /** mmdetection: 'Shared head is not supported in Cascade RCNN anymore'. */
    shared_head: z.null().optional(),
    /** One rcnn train cfg per stage (the training side reads it). */
    train_cfg: z.union([z.array(z.record(z.unknown())), z.record(z.unknown())]).nullable().optional(),
    test_cfg: rcnnTestCfg.nullable().optional(),
    init_cfg: initCfg.nullable(),
  })
  .strict();
export type CascadeRoIHeadOptions = z.input<typeof cascadeRoIHeadOptions>;
type Parsed = z.output<typeof cascadeRoIHeadOptions>;

/** mmengine's ModuleList: unlike torch's, initWeights() reaches its children (the stages' box heads). */
class StageList<M extends Module> extends ModuleList<M> {
  override get hasInitWeights(): boolean {
    return true;
  }
}

/**
 * mmdetection's CascadeRoIHead (Cai & Vasconcelos 2018), test side. Stage s pools the current
 * RoIs with its own extractor and scores them with its own box head; between stages the RoIs
 * are refined (regress_by_class: the stage's deltas of the argmax foreground class, or its
 * class-agnostic deltas, decoded with that head's coder and clipped to img_shape). The final
 * scores are the softmax of the mean of the stages' logits, the boxes the last stage's
 * deltas decoded against the last stage's RoIs. With mask heads every stage's mask head runs
 * on the detections and the masks are the mean of their sigmoids (merge_aug_masks), pasted
 * by the last mask head.
 */
export class CascadeRoIHead extends Module implements RoIHead {
  readonly numStages: number;
  readonly stageLossWeights: readonly number[];
  readonly bboxRoiExtractor: ModuleList<SingleRoIExtractor>;
  readonly bboxHead: ModuleList<ConvFCBBoxHead>;
  readonly maskHead: ModuleList<FCNMaskHead> | null = null;
  /** Per stage; the bbox extractors when none is configured (share_roi_extractor). */
  readonly maskRoiExtractor: ModuleList<SingleRoIExtractor> | null = null;
  testCfg: RCNNTestCfg | null;
  /** train_cfg.rcnn, one per stage. */
  trainCfg: RCNNTrainCfg[] | null = null;
  stageAssignAndSample: AssignAndSample[] | null = null;

  constructor(o: Parsed, ctx: BuildContext) {
    super();
    this.numStages = o.num_stages;
    if (o.stage_loss_weights.length !== o.num_stages) {
      throw ctx.error('stage_loss_weights', `${o.stage_loss_weights.length} weights for ${o.num_stages} stages`);
    }
    this.stageLossWeights = o.stage_loss_weights;
    const extractors = this.stages(o.bbox_roi_extractor, 'bbox_roi_extractor', ctx).map(([c, key]) => buildRoIExtractor(c, ctx, key));
    const heads = this.stages(o.bbox_head, 'bbox_head', ctx).map(([c, key], s) => {
      const head = ctx.build(HEADS, c, key);
      if (!(head instanceof ConvFCBBoxHead)) throw ctx.error(`${key}.type`, 'CascadeRoIHead needs ConvFCBBoxHeads (e.g. Shared2FCBBoxHead)');
      const inChannels = (c as { in_channels?: number }).in_channels ?? 256;
      if (inChannels !== extractors[s].outChannels) {
        throw ctx.error(`${key}.in_channels`, `${inChannels} does not match bbox_roi_extractor.out_channels ${extractors[s].outChannels}`);
      }
      return head;
    });
    this.bboxRoiExtractor = this.addModule('bbox_roi_extractor', new StageList(extractors));
    this.bboxHead = this.addModule('bbox_head', new StageList(heads));
    if (o.mask_head) {
      // torch's nn.ModuleList in mmdetection: the mask heads keep their construction-time init
      const masks = this.stages(o.mask_head, 'mask_head', ctx).map(([c, key]) => buildMaskHead(c, ctx, key));
      this.maskHead = this.addModule('mask_head', new ModuleList(masks));
      this.maskRoiExtractor = o.mask_roi_extractor
        ? this.addModule(
            'mask_roi_extractor',
            new StageList(this.stages(o.mask_roi_extractor, 'mask_roi_extractor', ctx).map(([c, key]) => buildRoIExtractor(c, ctx, key))),
          )
        : this.bboxRoiExtractor;
    }
    this.testCfg = o.test_cfg ?? null;
    this.initCfg = o.init_cfg ?? null;
  }

  /** One config per stage with its config path: a single config repeats, a list must have num_stages entries. */
  private stages(cfg: z.output<typeof perStage>, key: string, ctx: BuildContext): [Record<string, unknown>, string][] {
    if (!Array.isArray(cfg)) return Array.from({ length: this.numStages }, () => [cfg, key]);
    if (cfg.length !== this.numStages) throw ctx.error(key, `${cfg.length} configs for ${this.numStages} stages`);
    return cfg.map((c, s) => [c, `${key}.${s}`]);
  }

  get withMask(): boolean {
    return this.maskHead !== null;
  }

  outputNames(): RoIHeadOutputNames {
    const stages = Array.from({ length: this.numStages }, (_, s) => [`rois.${s}`, `rcnn_cls_score.${s}`, `rcnn_bbox_pred.${s}`]).flat();
    return { rois: ['roi_feats', ...stages, 'rcnn_cls_score_mean'], perImage: this.withMask ? ['mask_prob_label', 'masks'] : [] };
  }

  /**
   * Each image's proposals through the stages on their own (RoIAlign and the box heads treat
   * RoIs independently: the values of mmdetection's one RoI batch), the RoI-level outputs
   * concatenated in image order; tensors only, so the path traces into ONNX.
   */
  predict(feats: readonly Tensor[], proposals: readonly Tensor[], images: readonly ImageGeometry[], rescale: boolean): RoIHeadResult {
    const cfg = this.testCfg;
    if (!cfg) throw new UserError('CascadeRoIHead: predicting needs test_cfg.rcnn (score_thr, nms, max_per_img)');
    const last = this.bboxHead.at(this.numStages - 1);
    const withMask = this.withMask;
    const perImage = proposals.map((p, i) => {
      const named: NamedTensors = new Map();
      const { rois, out } = this.refineRoIs(feats, imageRois(p, i), images[i], named);
      return { named, d: last.predictImage(rois, out, images[i], rescale && !withMask, cfg) };
    });
    const named: NamedTensors = new Map();
    for (const key of perImage[0].named.keys()) named.set(key, F.concat(perImage.map((q) => q.named.get(key) as Tensor), 0));
    return { named, detections: this.predictMask(feats, perImage.map((q) => q.d), images, rescale) };
  }

  /**
   * mmdetection's _refine_roi for one image: every stage on the current RoIs, refined between
   * stages; the last stage's RoIs and deltas with the mean of all stages' logits.
   */
  private refineRoIs(feats: readonly Tensor[], rois: Tensor, image: ImageGeometry, named: NamedTensors): { rois: Tensor; out: BBoxHeadOutputs } {
    const logits: Tensor[] = [];
    let out: BBoxHeadOutputs | null = null;
    for (let s = 0; s < this.numStages; s++) {
      const ex = this.bboxRoiExtractor.at(s);
      const roiFeats = ex.forward(feats.slice(0, ex.numInputs), rois);
      out = this.bboxHead.at(s).forward(roiFeats);
      if (s === 0) named.set('roi_feats', roiFeats);
      named.set(`rois.${s}`, rois);
      named.set(`rcnn_cls_score.${s}`, out.clsScore);
      named.set(`rcnn_bbox_pred.${s}`, out.bboxPred);
      logits.push(out.clsScore);
      if (s < this.numStages - 1) rois = this.refine(s, rois, out, image);
    }
    // Python's sum(): ((l0 + l1) + l2) / 3.0
    const mean = F.div(logits.reduce((a, b) => F.add(a, b)), logits.length);
    named.set('rcnn_cls_score_mean', mean);
    return { rois, out: { clsScore: mean, bboxPred: out!.bboxPred } };
  }

  /** Stage s's RoIs regressed (regress_by_class with the argmax foreground class), image index kept. */
  private refine(s: number, rois: Tensor, out: BBoxHeadOutputs, image: ImageGeometry): Tensor {
    if (rois.shape[0] === 0) return rois;
    const head = this.bboxHead.at(s);
    const label = F.argmax(F.narrow(out.clsScore, 1, 0, head.numClasses), 1);
    const deltas = regressDeltas(head, out.bboxPred, label);
    const boxes = head.bboxCoder.decode(F.narrow(rois, 1, 1, 4), deltas, image.clip);
    return F.concat([F.narrow(rois, 1, 0, 1), boxes], 1);
  }

  /** mmdetection's CascadeRoIHead.predict_mask: every stage's mask head on the detections, the mean of their sigmoids. */
  private predictMask(feats: readonly Tensor[], detections: Detections[], images: readonly ImageGeometry[], rescale: boolean): RoIDetections[] {
    const [heads, extractors] = [this.maskHead, this.maskRoiExtractor];
    if (!heads || !extractors) return detections;
    const last = heads.at(this.numStages - 1);
    const size = last.outputSize(extractors.at(this.numStages - 1).outputSize);
    const probs = detections.map((d, i) => {
      if (d.bboxes.shape[0] === 0) return emptyRows(size);
      const maskRois = imageRois(d.bboxes, i);
      let sum: Tensor | null = null;
      for (let s = 0; s < this.numStages; s++) {
        const ex = extractors.at(s);
        const prob = F.sigmoid(heads.at(s).selectLabel(heads.at(s).forward(ex.forward(feats.slice(0, ex.numInputs), maskRois)), d.labels));
        sum = sum ? F.add(sum, prob) : prob;
      }
      return F.div(sum!, this.numStages);
    });
    return last.predictByFeat(probs, detections, images, rescale, (i) => [['mask_prob_label', probs[i]]]);
  }

  pasteMasks(probs: HostTensor, boxes: HostTensor, sample: DetDataSample, rescale: boolean): BitmapMasks {
    if (!this.maskHead) throw new UserError('CascadeRoIHead: pasting masks needs mask heads');
    return this.maskHead.at(this.numStages - 1).pasteImage(probs, boxes, oriShapeOf(sample, 0), scaleFactorOf(sample), rescale, this.testCfg);
  }

  // --- loss path ------------------------------------------------------------------------------

  /** mmdetection's init_assigner_sampler: one train_cfg.rcnn entry, assigner and sampler per stage. */
  setTrainCfg(cfgs: RCNNTrainCfg[], parts: AssignAndSample[]): void {
    if (cfgs.length !== this.numStages || parts.length !== this.numStages) {
      throw new UserError(`CascadeRoIHead: train_cfg.rcnn has ${cfgs.length} entries for ${this.numStages} stages`);
    }
    this.trainCfg = cfgs;
    this.stageAssignAndSample = parts;
  }

  /**
   * mmdetection's CascadeRoIHead.loss: stage s assigns and samples the current proposals with
   * its own assigner / sampler (GT boxes prepended again), pools and scores them with its own
   * extractor and box head, and reports its losses as `s{s}.loss_cls`, `s{s}.acc`,
   * `s{s}.loss_bbox` (and `s{s}.loss_mask` with mask heads), every entry whose name contains
   * 'loss' times stage_loss_weights[s]. Between stages the sampled RoIs are refined by the
   * stage's regression without gradient (`refineBboxes`, GT-derived RoIs dropped); a stage
   * without any RoI ends the cascade.
   */
  loss(feats: readonly Tensor[], proposals: readonly Tensor[], samples: readonly DetDataSample[]): CascadeLossResult {
    const [cfgs, parts] = [this.trainCfg, this.stageAssignAndSample];
    if (!cfgs || !parts) throw new UserError("CascadeRoIHead: the 'loss' mode needs train_cfg.rcnn (one assigner / sampler per stage) in the model config");
    const losses: LossDict = new Map();
    const stages: CascadeStageResult[] = [];
    let priors = proposals.map(proposalBoxes);
    for (let s = 0; s < this.numStages; s++) {
      const weight = this.stageLossWeights[s];
      const results = sampleRoIs(parts[s], priors, samples);
      const rois = sampledRoIs(results);
      const ex = this.bboxRoiExtractor.at(s);
      const head = this.bboxHead.at(s);
      const out = head.forward(ex.forward(feats.slice(0, ex.numInputs), rois));
      const stage = head.lossAndTarget(out, rois, results, cfgs[s]);
      const put = (name: string, v: Tensor) => losses.set(`s${s}.${name}`, name.includes('loss') ? F.mul(v, weight) : v);
      for (const [name, v] of stage.losses) put(name, v as Tensor);
      let maskTargets: Uint8Array | undefined;
      if (this.maskHead && this.maskRoiExtractor) {
        const mask = maskLoss({ extractor: this.maskRoiExtractor.at(s), head: this.maskHead.at(s) }, feats, results, samples, maskSizeOf(cfgs[s], `train_cfg.rcnn.${s}`));
        put('loss_mask', mask.loss);
        maskTargets = mask.targets;
      }
      stages.push({ samplingResults: results, rois, targets: stage.targets, maskTargets });
      if (s === this.numStages - 1) break;
      const refined = refineBboxes(head, results, stage.targets.labels, out, rois, samples);
      if (!refined) break;
      priors = refined;
    }
    return { losses, stages };
  }
}

/** What the cascade's loss path computed: the losses and, per stage run, what they were computed on. */
export interface CascadeLossResult {
  losses: LossDict;
  stages: CascadeStageResult[];
}

export interface CascadeStageResult {
  samplingResults: SamplingResult[];
  /** [R, 5] the stage's sampled RoIs (image index, x1, y1, x2, y2). */
  rois: Tensor;
  targets: BBoxTargets;
  maskTargets?: Uint8Array;
}

/**
 * regress_by_class's deltas: the head's 4 class-agnostic columns, or the 4 of each RoI's label
 * (a one-hot weighted sum over the classes: exact, and traceable for any number of RoIs).
 */
export function regressDeltas(head: Pick<ConvFCBBoxHead, 'regClassAgnostic'>, bboxPred: Tensor, label: Tensor): Tensor {
  if (head.regClassAgnostic) return bboxPred;
  const [R, D] = bboxPred.shape;
  const C = D / 4;
  const classes = F.constant({ dtype: 'int32', shape: [1, C, 1], data: Int32Array.from({ length: C }, (_, c) => c) });
  const oneHot = F.cast(F.equal(F.reshape(F.cast(label, 'int32'), [R, 1, 1]), classes), 'float32');
  return F.sum(F.mul(F.reshape(bboxPred, [R, C, 4]), oneHot), 1);
}

HEADS.register(cascadeRoIHeadOptions, (o: Parsed, ctx: BuildContext) => new CascadeRoIHead(o, ctx), {
  name: 'CascadeRoIHead',
  summary: 'Cascade R-CNN RoI head (mmdetection): box heads in stages that refine the RoIs, optional per-stage mask heads',
});

declare module '../../../config/config-types' {
  interface HeadOptionsMap {
    CascadeRoIHead: import('zod').input<typeof cascadeRoIHeadOptions>;
  }
}
