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
import { buildMaskHead, buildRoIExtractor, emptyRows } from './mask-branch';
import { oriShapeOf, scaleFactorOf, type ImageGeometry } from './image-metas';
import type { Detections } from './multiclass-nms';
import { rcnnTestCfg, type RCNNTestCfg } from './rcnn-test-cfg';
import type { RoIDetections, RoIHead, RoIHeadOutputNames, RoIHeadResult } from './roi-head';
import { SingleRoIExtractor } from './single-roi-extractor';
import { hostTensor, type HostTensor } from '../../../core/host-tensor';
import type { BitmapMasks } from '../../../structures/masks';
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
   * Detections per image from per-image proposals [P_i, 5]; boxes in original pixels when
   * `rescale`. With a mask head the box branch stays in the resized frame, as in mmdetection,
   * and the mask branch rescales the boxes (dividing by scale_factor). Each image's RoIs are
   * pooled and scored on their own (the same values as mmdetection's one RoI batch: RoIAlign
   * and the box head treat RoIs independently), so no image's share is cut out of a batch at
   * a data-dependent offset and the path traces into ONNX; the RoI-level outputs are the
   * images' rows concatenated in image order.
   */
  predict(feats: readonly Tensor[], proposals: readonly Tensor[], images: readonly ImageGeometry[], rescale: boolean): StandardRoIHeadResult {
    const cfg = this.testCfg;
    if (!cfg) throw new UserError('StandardRoIHead: predicting needs test_cfg.rcnn (score_thr, nms, max_per_img)');
    const levels = feats.slice(0, this.bboxRoiExtractor.numInputs);
    const parts = proposals.map((p, i) => {
      const rois = imageRois(p, i);
      const roiFeats = this.bboxRoiExtractor.forward(levels, rois);
      const out = this.bboxHead.forward(roiFeats);
      const d = this.bboxHead.predictImage(rois, out, images[i], rescale && !this.withMask, cfg);
      return { rois, roiFeats, out, d };
    });
    const cat = (pick: (q: (typeof parts)[number]) => Tensor) => F.concat(parts.map(pick), 0);
    const rois = cat((q) => q.rois);
    const roiFeats = cat((q) => q.roiFeats);
    const out = { clsScore: cat((q) => q.out.clsScore), bboxPred: cat((q) => q.out.bboxPred) };
    const named = new Map([['roi_feats', roiFeats], ['rcnn_cls_score', out.clsScore], ['rcnn_bbox_pred', out.bboxPred]]);
    const detections = parts.map((q) => q.d);
    return { rois, roiFeats, out, named, detections: this.predictMask(feats, detections, images, rescale) };
  }

  /** mmdetection's predict_mask: the detections are the mask RoIs; per image the own-class mask probabilities. */
  private predictMask(feats: readonly Tensor[], detections: Detections[], images: readonly ImageGeometry[], rescale: boolean): RoIDetections[] {
    const [ex, head] = [this.maskRoiExtractor, this.maskHead];
    if (!ex || !head) return detections;
    const levels = feats.slice(0, ex.numInputs);
    const own = detections.map((d, i) =>
      d.bboxes.shape[0] > 0 ? head.selectLabel(head.forward(ex.forward(levels, imageRois(d.bboxes, i))), d.labels) : emptyRows(head.outputSize(ex.outputSize)),
    );
    const probs = own.map((m) => (m.shape[0] > 0 ? F.sigmoid(m) : m));
    return head.predictByFeat(probs, detections, images, rescale, (i) => [['mask_pred_label', own[i]]]);
  }

  pasteMasks(probs: HostTensor, boxes: HostTensor, sample: DetDataSample, rescale: boolean): BitmapMasks {
    if (!this.maskHead) throw new UserError('StandardRoIHead: pasting masks needs a mask head');
    return this.maskHead.pasteImage(probs, boxes, oriShapeOf(sample, 0), scaleFactorOf(sample), rescale, this.testCfg);
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
  return F.concat(proposals.map((p, i) => imageRois(p, i)), 0);
}

/**
 * One image's RoIs [P, 5]: its boxes (the first 4 columns of `boxes`) prefixed by `index`. The
 * index column is computed from the boxes (0 * x + index) rather than made on the host, so a
 * data-dependent number of boxes stays traceable.
 */
export function imageRois(boxes: Tensor, index: number): Tensor {
  const column = F.add(F.mul(F.narrow(boxes, 1, 0, 1), 0), index);
  return F.concat([column, F.narrow(boxes, 1, 0, 4)], 1);
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
