import * as F from '../core/ops';
import { UserError } from '../core/errors';
import { Module } from '../core/module';
import type { Tensor } from '../core/tensor';
import { SingleStageDetector } from '../models/detectors/single-stage-detector';
import { TwoStageDetector } from '../models/detectors/two-stage-detector';
import { CascadeRoIHead } from '../models/heads/roi/cascade-roi-head';
import type { ConvFCBBoxHead } from '../models/heads/roi/convfc-bbox-head';
import type { FCNMaskHead } from '../models/heads/roi/fcn-mask-head';
import type { SingleRoIExtractor } from '../models/heads/roi/single-roi-extractor';
import { StandardRoIHead } from '../models/heads/roi/standard-roi-head';
import { analyzeModel, type Analysis } from './analyze';

/** A detector's counts split the way the HRNet paper's Table 7 counts them. */
export interface DetectorAnalysis extends Analysis {
  /** Multiply-accumulates of the backbone, neck and dense head (RPNHead, FCOSHead) for one image. */
  macsDense: number;
  /** Of the RoI heads for one RoI: every box head and mask head, of every cascade stage (0 without RoI heads). */
  macsPerRoi: number;
  /** `macsPerRoi` split into the box heads' and the mask heads' share (mmdetection's get_flops feeds the mask heads only 100 RoIs). */
  macsPerRoiByHead: { bbox: number; mask: number };
  /** RoIs per image the RoI heads were counted for; null for a detector without RoI heads. */
  rois: number | null;
  /** What `macs` covers, in words. */
  counted: string;
}

export interface AnalyzeDetectorOptions {
  /** [C, H, W] of one image. */
  inputShape: readonly number[];
  /** RoIs per image for the RoI heads (default test_cfg.rpn.max_per_img, else 1000); ignored by single-stage detectors. */
  rois?: number;
}

/** True for the detectors `analyzeDetector` splits (two-stage and single-stage). */
export function isDetector(model: Module): model is TwoStageDetector | SingleStageDetector {
  return model instanceof TwoStageDetector || model instanceof SingleStageDetector;
}

/**
 * Counts of a detector at [C, H, W], batch 1: `macs = macsDense + rois × macsPerRoi`.
 *
 * A single-stage detector runs whole (its dense head is its last step). A two-stage detector
 * cannot: the proposal filtering between the RPN and the RoI heads reads box values, which the
 * shape-only engine does not have. Its backbone, neck and RPN head are counted as they run and
 * every RoI head (box and mask, each cascade stage) on a fixed batch of `rois` RoIs, as the
 * HRNet paper counts (512 proposals there). RoIAlign itself is not a counted op.
 */
export function analyzeDetector(model: TwoStageDetector | SingleStageDetector, opts: AnalyzeDetectorOptions): DetectorAnalysis {
  if (model instanceof SingleStageDetector) {
    const a = analyzeModel(model, { inputShape: opts.inputShape });
    return { ...a, macsDense: a.macs, macsPerRoi: 0, macsPerRoiByHead: { bbox: 0, mask: 0 }, rois: null, counted: `backbone + ${model.neck ? 'neck + ' : ''}${model.bbox_head.typeName}` };
  }
  const rois = opts.rois ?? model.rpnHead.testCfg?.max_per_img ?? 1000;
  if (!Number.isInteger(rois) || rois < 0) throw new UserError(`the RoI count must be a non-negative integer, got ${rois}`);
  const chw = opts.inputShape;
  if (chw.length === 3 && chw[0] !== model.inChannels) throw new UserError(`the input has ${chw[0]} channels but the model expects ${model.inChannels}`);
  const stages = roiStages(model);
  const a = withModelNotes(analyzeModel(new TwoStageCountView(model, stages, rois), { inputShape: chw }), model);
  // the RoI heads' share is linear in the RoI count: one more analysis at one RoI when none were counted
  const macsOf = (x: Analysis, name: string) => x.modules.find((m) => m.name === name)?.macs ?? 0;
  const once = rois > 0 ? a : analyzeModel(new TwoStageCountView(model, stages, 1), { inputShape: chw });
  const per = (name: string) => macsOf(once, name) / Math.max(rois, 1);
  const perRoi = per('roi_head');
  const heads = stages.some((s) => s.mask) ? 'box and mask heads' : 'box head';
  const counted = `backbone + ${model.neck ? 'neck + ' : ''}RPN head + RoI ${heads}${stages.length > 1 ? ` (${stages.length} stages)` : ''} at ${rois} RoIs per image`;
  return { ...a, params: model.numParameters(), trainableParams: model.numParameters(true), macsDense: a.macs - macsOf(a, 'roi_head'), macsPerRoi: perRoi, macsPerRoiByHead: { bbox: perRoi - per('roi_head.mask_head'), mask: per('roi_head.mask_head') }, rois, counted };
}

function withModelNotes(a: Analysis, model: TwoStageDetector): Analysis {
  const note = 'proposal filtering reads box values, so the RoI heads are counted for a fixed RoI count (--rois) rather than the proposals that survive NMS';
  return { ...a, notes: [note, ...a.notes], partial: a.partial || !(model.roiHead instanceof StandardRoIHead || model.roiHead instanceof CascadeRoIHead) };
}

/** One stage of RoI heads: its box extractor and head, and its mask extractor and head if any. */
interface RoIStage {
  bbox: { extractor: SingleRoIExtractor; head: ConvFCBBoxHead };
  mask: { extractor: SingleRoIExtractor; head: FCNMaskHead } | null;
}

function roiStages(model: TwoStageDetector): RoIStage[] {
  const roi = model.roiHead;
  if (roi instanceof StandardRoIHead) {
    const mask = roi.maskHead && roi.maskRoiExtractor ? { extractor: roi.maskRoiExtractor, head: roi.maskHead } : null;
    return [{ bbox: { extractor: roi.bboxRoiExtractor, head: roi.bboxHead }, mask }];
  }
  if (roi instanceof CascadeRoIHead) {
    return Array.from({ length: roi.numStages }, (_, s) => ({
      bbox: { extractor: roi.bboxRoiExtractor.at(s), head: roi.bboxHead.at(s) },
      mask: roi.maskHead && roi.maskRoiExtractor ? { extractor: roi.maskRoiExtractor.at(s), head: roi.maskHead.at(s) } : null,
    }));
  }
  throw new UserError(`${roi.typeName}: its RoI heads are not a known layout (StandardRoIHead, CascadeRoIHead); they cannot be counted`);
}

/**
 * The detector's test path with the value-dependent step taken out: backbone → neck → RPN head,
 * then each stage's box head (and mask head) on a fixed batch of RoIs (their box values do not
 * matter to the counts; RoIAlign and the level assignment are shape-only). Registers the
 * detector's own modules under their own names so the rows read `backbone.*`, `roi_head.*`.
 */
class TwoStageCountView extends Module {
  constructor(
    private readonly det: TwoStageDetector,
    private readonly stages: RoIStage[],
    private readonly rois: number,
  ) {
    super();
    for (const [name, m] of det.children()) if (name !== 'data_preprocessor') this.addModule(name, m);
    // the analysis restores a training-mode model to training mode afterwards; this view must not
    this.training = false;
  }

  override get typeName(): string {
    return this.det.typeName;
  }

  forward(x: Tensor): Map<string, Tensor> {
    const feats = this.det.extractFeat(x);
    const rpn = this.det.rpnHead.forward(feats);
    const out = new Map<string, Tensor>();
    rpn.clsScores.forEach((t, l) => out.set(`rpn_cls.${l}`, t));
    rpn.bboxPreds.forEach((t, l) => out.set(`rpn_reg.${l}`, t));
    if (this.rois === 0) return out;
    const rois = F.constant({ dtype: 'float32', shape: [this.rois, 5], data: new Float32Array(this.rois * 5) });
    const pool = (ex: SingleRoIExtractor) => ex.forward(feats.slice(0, ex.numInputs), rois);
    const suffix = (s: number) => (this.stages.length > 1 ? `.${s}` : '');
    this.stages.forEach(({ bbox, mask }, s) => {
      const o = bbox.head.forward(pool(bbox.extractor));
      out.set(`rcnn_cls_score${suffix(s)}`, o.clsScore);
      out.set(`rcnn_bbox_pred${suffix(s)}`, o.bboxPred);
      if (mask) out.set(`mask_pred${suffix(s)}`, mask.head.forward(pool(mask.extractor)));
    });
    return out;
  }
}
