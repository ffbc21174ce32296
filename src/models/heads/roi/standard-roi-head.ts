import { z } from 'zod';
import { Module } from '../../../core/module';
import { UserError } from '../../../core/errors';
import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import { initCfg } from '../../../nn/option-schemas';
import type { BuildContext } from '../../../registry/build-context';
import { HEADS } from '../../../registry/registries';
import type { DetDataSample } from '../../../structures/det-data-sample';
import { componentCfg } from './component-cfg';
import { ConvFCBBoxHead, type BBoxHeadOutputs } from './convfc-bbox-head';
import type { FCNMaskHead } from './fcn-mask-head';
import { buildMaskHead, buildRoIExtractor, emptyRows, splitRows } from './mask-branch';
import { imageShapeOf, scaleFactorOf } from './image-metas';
import type { Detections } from './multiclass-nms';
import { rcnnTestCfg, type RCNNTestCfg } from './rcnn-test-cfg';
import type { RoIDetections, RoIHead, RoIHeadOutputNames, RoIHeadResult } from './roi-head';
import { SingleRoIExtractor } from './single-roi-extractor';
import type { LossDict } from '../../../structures/named-tensors';
import type { SamplingResult } from '../../task-modules/samplers/sampling-result';
import type { AssignAndSample } from '../assign-and-sample';
import { maskLoss, maskSizeOf } from './mask-loss';
import { proposalBoxes, sampledRoIs, sampleRoIs } from './sample-rois';
import type { BBoxTargets } from './bbox-targets';
import type { RCNNTrainCfg } from './rcnn-train-cfg';

export const standardRoIHeadOptions = z
  .object({
    bbox_roi_extractor: componentCfg,
    bbox_head: componentCfg,
    /** Without one, the mask head pools from bbox_roi_extractor (mmdetection's share_roi_extractor). */
    mask_roi_extractor: componentCfg.nullable().optional(),
    mask_head: componentCfg.nullable().optional(),
    /** Shared heads are not built by this head yet. */
    shared_head: z.null().optional(),
    train_cfg: z.record(z.unknown()).nullable().optional(),
    test_cfg: rcnnTestCfg.nullable().optional(),
    init_cfg: initCfg.nullable(),
  })
  .strict();
export type StandardRoIHeadOptions = z.input<typeof standardRoIHeadOptions>;

/** What the RoI head computed for a batch, for tensor mode and for predict. */
export interface StandardRoIHeadResult extends RoIHeadResult {
  /** [R, 5] rows (image index, x1, y1, x2, y2) of every image's proposals, in image order. */
  rois: Tensor;
  roiFeats: Tensor;
  out: BBoxHeadOutputs;
}

/**
 * mmdetection's StandardRoIHead (box branch): the proposals of all images become one RoI batch
 * (bbox2roi), the extractor pools their features from the first levels, the box head scores
 * and refines them, and each image's share is post-processed on its own.
 */
export class StandardRoIHead extends Module implements RoIHead {
  readonly bboxRoiExtractor: SingleRoIExtractor;
  readonly bboxHead: ConvFCBBoxHead;
  readonly maskRoiExtractor: SingleRoIExtractor | null = null;
  readonly maskHead: FCNMaskHead | null = null;
  testCfg: RCNNTestCfg | null;
  trainCfg: RCNNTrainCfg | null = null;
  bboxAssignAndSample: AssignAndSample | null = null;

  constructor(o: z.output<typeof standardRoIHeadOptions>, ctx: BuildContext) {
    super();
    const ex = ctx.build(HEADS, o.bbox_roi_extractor, 'bbox_roi_extractor');
    if (!(ex instanceof SingleRoIExtractor)) throw ctx.error('bbox_roi_extractor.type', 'StandardRoIHead needs a SingleRoIExtractor');
    const head = ctx.build(HEADS, o.bbox_head, 'bbox_head');
    if (!(head instanceof ConvFCBBoxHead)) throw ctx.error('bbox_head.type', 'StandardRoIHead needs a ConvFCBBoxHead (e.g. Shared2FCBBoxHead)');
    const inChannels = (o.bbox_head as { in_channels?: number }).in_channels ?? 256;
    if (inChannels !== ex.outChannels) {
      throw ctx.error('bbox_head.in_channels', `${inChannels} does not match bbox_roi_extractor.out_channels ${ex.outChannels}`);
    }
    this.bboxRoiExtractor = this.addModule('bbox_roi_extractor', ex);
    this.bboxHead = this.addModule('bbox_head', head);
    if (o.mask_head) {
      this.maskHead = this.addModule('mask_head', buildMaskHead(o.mask_head, ctx, 'mask_head'));
      this.maskRoiExtractor = o.mask_roi_extractor
        ? this.addModule('mask_roi_extractor', buildRoIExtractor(o.mask_roi_extractor, ctx, 'mask_roi_extractor'))
        : ex;
    }
    this.testCfg = o.test_cfg ?? null;
    this.initCfg = o.init_cfg ?? null;
  }

  get withMask(): boolean {
    return this.maskHead !== null;
  }

  outputNames(): RoIHeadOutputNames {
    return { rois: ['roi_feats', 'rcnn_cls_score', 'rcnn_bbox_pred'], perImage: this.withMask ? ['mask_pred_label', 'masks'] : [] };
  }

  /**
   * Detections per image from per-image proposals [P_i, 5]; boxes (and masks) in original
   * pixels when `rescale`. With a mask head the box branch stays in the resized frame, as in
   * mmdetection, and the mask branch rescales the boxes (dividing by scale_factor).
   */
  predict(feats: readonly Tensor[], proposals: readonly Tensor[], samples: readonly DetDataSample[], rescale: boolean): StandardRoIHeadResult {
    const cfg = this.testCfg;
    if (!cfg) throw new UserError('StandardRoIHead: predicting needs test_cfg.rcnn (score_thr, nms, max_per_img)');
    const rois = bbox2roi(proposals);
    const roiFeats = this.bboxRoiExtractor.forward(feats.slice(0, this.bboxRoiExtractor.numInputs), rois);
    const out = this.bboxHead.forward(roiFeats);
    let start = 0;
    const detections = proposals.map((p, i) => {
      const n = p.shape[0];
      const part = (t: Tensor) => F.narrow(t, 0, start, n);
      const d = this.bboxHead.predictImage(part(rois), { clsScore: part(out.clsScore), bboxPred: part(out.bboxPred) }, imageShapeOf(samples[i], i), scaleFactorOf(samples[i]), rescale && !this.withMask, cfg);
      start += n;
      return d;
    });
    const named = new Map([['roi_feats', roiFeats], ['rcnn_cls_score', out.clsScore], ['rcnn_bbox_pred', out.bboxPred]]);
    return { rois, roiFeats, out, named, detections: this.predictMask(feats, detections, samples, rescale, cfg) };
  }

  /** mmdetection's predict_mask: the detections are the mask RoIs; per image, the own-class mask pasted. */
  private predictMask(feats: readonly Tensor[], detections: Detections[], samples: readonly DetDataSample[], rescale: boolean, cfg: RCNNTestCfg): RoIDetections[] {
    const [ex, head] = [this.maskRoiExtractor, this.maskHead];
    if (!ex || !head) return detections;
    const counts = detections.map((d) => d.bboxes.shape[0]);
    const logits = counts.some((n) => n > 0) ? head.forward(ex.forward(feats.slice(0, ex.numInputs), bbox2roi(detections.map((d) => d.bboxes)))) : null;
    const own = splitRows(logits, counts).map((m, i) => (m ? head.selectLabel(m, detections[i].labels) : emptyRows(head.outputSize(ex.outputSize))));
    const probs = own.map((m) => (m.shape[0] > 0 ? F.sigmoid(m) : m));
    return head.predictByFeat(probs, detections, samples, rescale, cfg, (i) => [['mask_pred_label', own[i]]]);
  }

  // --- loss path ------------------------------------------------------------------------------

  /** mmdetection's `roi_head.update(train_cfg=train_cfg.rcnn)` with the assigner / sampler built from it. */
  setTrainCfg(cfg: RCNNTrainCfg, parts: AssignAndSample): void {
    this.trainCfg = cfg;
    this.bboxAssignAndSample = parts;
  }

  /**
   * mmdetection's StandardRoIHead.loss: per image the proposals [P_i, 5] (detached) are
   * assigned to the GT and sampled (the GT boxes prepended with add_gt_as_proposals), the
   * sampled RoIs of all images pooled and scored as one batch, and the box head's
   * loss_and_target gives `loss_cls`, `acc`, `loss_bbox`; with a mask head, its loss on the
   * positive RoIs against the GT masks gives `loss_mask` (`mask-loss.ts`).
   */
  loss(feats: readonly Tensor[], proposals: readonly Tensor[], samples: readonly DetDataSample[]): RoIHeadLossResult {
    const parts = this.bboxAssignAndSample;
    const cfg = this.trainCfg;
    if (!parts || !cfg) throw new UserError("StandardRoIHead: the 'loss' mode needs train_cfg.rcnn (assigner, sampler, pos_weight) in the model config");
    const results = sampleRoIs(parts, proposals.map(proposalBoxes), samples);
    const rois = sampledRoIs(results);
    const roiFeats = this.bboxRoiExtractor.forward(feats.slice(0, this.bboxRoiExtractor.numInputs), rois);
    const out = this.bboxHead.forward(roiFeats);
    const { losses, targets } = this.bboxHead.lossAndTarget(out, rois, results, cfg);
    let maskTargets: Uint8Array | undefined;
    if (this.maskHead && this.maskRoiExtractor) {
      const shared = this.maskRoiExtractor === this.bboxRoiExtractor;
      const branch = { extractor: this.maskRoiExtractor, head: this.maskHead, ...(shared ? { sharedFeats: roiFeats } : {}) };
      const mask = maskLoss(branch, feats, results, samples, maskSizeOf(cfg, 'train_cfg.rcnn'));
      losses.set('loss_mask', mask.loss);
      maskTargets = mask.targets;
    }
    return { losses, samplingResults: results, rois, targets, maskTargets };
  }
}

/** What the loss path computed: the losses and, for inspection, what they were computed on. */
export interface RoIHeadLossResult {
  losses: LossDict;
  samplingResults: SamplingResult[];
  /** [R, 5] the sampled RoIs (image index, x1, y1, x2, y2). */
  rois: Tensor;
  targets: BBoxTargets;
  /** With a mask head: the [M * h * w] 0/1 mask targets of the positive RoIs. */
  maskTargets?: Uint8Array;
}

/** mmdetection's bbox2roi: each image's boxes prefixed by the image index, concatenated. */
export function bbox2roi(proposals: readonly Tensor[]): Tensor {
  return F.concat(
    proposals.map((p, i) => {
      const index = F.constant({ dtype: 'float32', shape: [p.shape[0], 1], data: new Float32Array(p.shape[0]).fill(i) });
      return F.concat([index, F.narrow(p, 1, 0, 4)], 1);
    }),
    0,
  );
}

HEADS.register(standardRoIHeadOptions, (o: z.output<typeof standardRoIHeadOptions>, ctx: BuildContext) => new StandardRoIHead(o, ctx), {
  name: 'StandardRoIHead',
  summary: 'Two-stage RoI head (mmdetection): RoI feature extractor and box head over the RPN proposals',
});

declare module '../../../config/config-types' {
  interface HeadOptionsMap {
    StandardRoIHead: import('zod').input<typeof standardRoIHeadOptions>;
  }
}
