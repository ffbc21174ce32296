import * as F from '../../core/ops';
import { Module } from '../../core/module';
import type { Tensor } from '../../core/tensor';
import type { BaseModel } from '../../models/base-model';
import { TwoStageDetector } from '../../models/detectors/two-stage-detector';
import { CascadeRoIHead } from '../../models/heads/roi/cascade-roi-head';
import type { ConvFCBBoxHead } from '../../models/heads/roi/convfc-bbox-head';
import type { SingleRoIExtractor } from '../../models/heads/roi/single-roi-extractor';
import { StandardRoIHead } from '../../models/heads/roi/standard-roi-head';
import { analyzeModel, type Analysis } from '../analyze';
import { BackboneNeck } from './backbone-neck';

/** Parameters and multiply-accumulates of what a benchmark row runs, with what was counted. */
export interface Complexity {
  /** Every parameter of what the row runs (trainable + frozen, buffers excluded; `hrdet analyze`'s count). */
  params: number;
  /** Multiply-accumulates for one image (conv2d, linear, matmul; `hrdet analyze`'s convention). */
  macs: number;
  /** What `macs` covers, in words. */
  counted: string;
  /** MACs by top-level part (backbone, neck, rpn_head, roi_head, bbox_head, ...). */
  parts: Record<string, number>;
  /** Upper bounds were used (an op with a data-dependent size ran), or a part was left out. */
  partial: boolean;
  notes: string[];
}

export const ROI_HEADS_NOT_COUNTED = 'RoI heads not counted';

/**
 * `hrdet analyze`'s counts of a whole model at [C, H, W], batch 1. Two-stage detectors cannot be
 * analysed whole: the proposal filtering between the RPN and the RoI head reads box values, which
 * the shape-only engine does not have. For them the backbone, neck and RPN head are counted as
 * they run, and the RoI box head(s) for a fixed number of RoIs per image (`rois`, default the
 * model's test_cfg.rpn.max_per_img: mmdetection's 1000 proposals), since every proposal the RPN
 * keeps goes through the box head; `rois: 0` leaves the RoI heads out ("RoI heads not counted").
 * Mask heads run on the final detections and are never counted here.
 */
export function modelComplexity(model: BaseModel, chw: readonly number[], opts: { rois?: number } = {}): Complexity {
  if (model instanceof TwoStageDetector) return twoStageComplexity(model, chw, opts.rois);
  const a = analyzeModel(model, { inputShape: chw });
  return { params: a.params, macs: a.macs, counted: 'whole model', parts: topLevelMacs(a), partial: a.partial, notes: [...a.notes] };
}

/** The counts of the backbone + neck alone (what an `onnx (backbone+neck)` row runs). */
export function backboneNeckComplexity(model: BackboneNeck, chw: readonly number[]): Complexity {
  const a = analyzeModel(model, { inputShape: chw });
  return { params: a.params, macs: a.macs, counted: model.neck ? 'backbone + neck' : 'backbone', parts: topLevelMacs(a), partial: a.partial, notes: [] };
}

function twoStageComplexity(model: TwoStageDetector, chw: readonly number[], rois?: number): Complexity {
  const perImage = rois ?? model.rpnHead.testCfg?.max_per_img ?? 1000;
  const stages = boxStages(model);
  const view = new TwoStageCountView(model, stages, perImage);
  const a = analyzeModel(view, { inputShape: chw });
  const notes: string[] = [];
  const counted = ['backbone', model.neck ? 'neck' : '', 'RPN head'].filter(Boolean);
  let partial = false;
  if (perImage > 0 && stages.length > 0) {
    counted.push(`RoI box head${stages.length > 1 ? `s (${stages.length} stages)` : ''} at ${perImage} RoIs per image`);
    notes.push(
      `RoI box head counted for ${perImage} RoIs per image (test_cfg.rpn.max_per_img, mmdetection's test-time proposal count); ` +
        'proposal filtering reads box values, so the whole model cannot be analysed on shapes and fewer proposals can survive NMS',
    );
  } else {
    partial = true;
    notes.push(`${ROI_HEADS_NOT_COUNTED}: proposal filtering reads box values, which a shape-only analysis does not have`);
  }
  if (model.roiHead.withMask) {
    partial = true;
    notes.push('mask head not counted (it runs on the final detections, whose number depends on the data)');
  }
  if (stages.length === 0 && perImage > 0) notes.push(`${model.roiHead.typeName}: its box head is not a known RoI head layout; not counted`);
  // every parameter of the model, counted or not in the MACs
  return { params: model.numParameters(), macs: a.macs, counted: counted.join(' + '), parts: topLevelMacs(a), partial, notes };
}

type BoxStage = { extractor: SingleRoIExtractor; head: ConvFCBBoxHead };

function boxStages(model: TwoStageDetector): BoxStage[] {
  const roi = model.roiHead;
  if (roi instanceof StandardRoIHead) return [{ extractor: roi.bboxRoiExtractor, head: roi.bboxHead }];
  if (roi instanceof CascadeRoIHead) {
    return Array.from({ length: roi.numStages }, (_, s) => ({ extractor: roi.bboxRoiExtractor.at(s), head: roi.bboxHead.at(s) }));
  }
  return [];
}

/**
 * The detector's test path with the value-dependent step taken out: backbone → neck → RPN head,
 * then each box stage on a fixed batch of RoIs (their box values do not matter to the counts;
 * RoIAlign and the level assignment are shape-only). Registers the detector's own modules under
 * their own names so the analysis rows read `backbone.*`, `rpn_head.*`, `roi_head.*`.
 */
class TwoStageCountView extends Module {
  constructor(
    private readonly det: TwoStageDetector,
    private readonly stages: BoxStage[],
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

  forward(x: Tensor): Tensor[] {
    const feats = this.det.extractFeat(x);
    const rpn = this.det.rpnHead.forward(feats);
    const outs = [...rpn.clsScores, ...rpn.bboxPreds];
    if (this.rois > 0) {
      const rois = F.constant({ dtype: 'float32', shape: [this.rois, 5], data: new Float32Array(this.rois * 5) });
      for (const { extractor, head } of this.stages) {
        const o = head.forward(extractor.forward(feats.slice(0, extractor.numInputs), rois));
        outs.push(o.clsScore, o.bboxPred);
      }
    }
    return outs;
  }
}

function topLevelMacs(a: Analysis): Record<string, number> {
  const parts: Record<string, number> = {};
  for (const m of a.modules) if (m.depth === 1 && m.macs > 0) parts[m.name] = m.macs;
  return parts;
}
