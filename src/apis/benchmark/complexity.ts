import type { BaseModel } from '../../models/base-model';
import { analyzeModel, type Analysis } from '../analyze';
import { analyzeDetector, isDetector } from '../analyze-detector';
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
 * `hrdet analyze`'s counts of a whole model at [C, H, W], batch 1. A detector is counted as
 * `analyzeDetector` does: a two-stage detector's RoI heads (box and mask heads, every cascade
 * stage) for a fixed number of RoIs per image (`rois`, default the model's
 * test_cfg.rpn.max_per_img: mmdetection's 1000 proposals); `rois: 0` leaves them out
 * ("RoI heads not counted").
 */
export function modelComplexity(model: BaseModel, chw: readonly number[], opts: { rois?: number } = {}): Complexity {
  if (!isDetector(model)) {
    const a = analyzeModel(model, { inputShape: chw });
    return { params: a.params, macs: a.macs, counted: 'whole model', parts: topLevelMacs(a), partial: a.partial, notes: [...a.notes] };
  }
  const d = analyzeDetector(model, { inputShape: chw, rois: opts.rois });
  const notes = [...d.notes];
  if (d.rois === 0) notes.push(`${ROI_HEADS_NOT_COUNTED}: proposal filtering reads box values, which a shape-only analysis does not have`);
  return { params: d.params, macs: d.macs, counted: d.counted, parts: topLevelMacs(d), partial: d.partial || d.rois === 0, notes };
}

/** The counts of the backbone + neck alone (what an `onnx (backbone+neck)` row runs). */
export function backboneNeckComplexity(model: BackboneNeck, chw: readonly number[]): Complexity {
  const a = analyzeModel(model, { inputShape: chw });
  return { params: a.params, macs: a.macs, counted: model.neck ? 'backbone + neck' : 'backbone', parts: topLevelMacs(a), partial: a.partial, notes: [] };
}

function topLevelMacs(a: Analysis): Record<string, number> {
  const parts: Record<string, number> = {};
  for (const m of a.modules) if (m.depth === 1 && m.macs > 0) parts[m.name] = m.macs;
  return parts;
}
