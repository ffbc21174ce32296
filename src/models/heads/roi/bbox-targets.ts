/**
 * mmdetection's BBoxHead.get_targets (concat=True) on the host: per image the sampled RoIs
 * are the positives then the negatives; positives get their GT's label, label weight
 * `pos_weight` (<= 0: 1) and regression targets (deltas of the RoI onto its GT, or the GT box
 * itself with reg_decoded_bbox) with weight 1 on the 4 coordinates; negatives the background
 * label (num_classes) with weight 1 and zero targets. Images are concatenated in order.
 */
import type { SamplingResult } from '../../task-modules/samplers/sampling-result';

export interface BBoxTargets {
  /** [R] */
  labels: Int32Array;
  labelWeights: Float32Array;
  /** [R * 4] */
  bboxTargets: Float32Array;
  bboxWeights: Float32Array;
}

export interface BBoxTargetOptions {
  numClasses: number;
  posWeight: number;
  /** Regression targets [P * 4] of positive RoIs [P * 4] onto their GT boxes [P * 4]. */
  encode: (priors: Float32Array, gts: Float32Array) => Float32Array;
}

export function bboxTargets(results: readonly SamplingResult[], o: BBoxTargetOptions): BBoxTargets {
  const total = results.reduce((a, r) => a + r.posInds.length + r.negInds.length, 0);
  const t: BBoxTargets = {
    labels: new Int32Array(total).fill(o.numClasses),
    labelWeights: new Float32Array(total),
    bboxTargets: new Float32Array(total * 4),
    bboxWeights: new Float32Array(total * 4),
  };
  let row = 0;
  for (const r of results) {
    const numPos = r.posInds.length;
    if (numPos > 0) {
      t.labels.set(r.posGtLabels, row);
      t.labelWeights.fill(o.posWeight <= 0 ? 1 : o.posWeight, row, row + numPos);
      t.bboxTargets.set(o.encode(r.posPriors, r.posGtBboxes), 4 * row);
      t.bboxWeights.fill(1, 4 * row, 4 * (row + numPos));
    }
    t.labelWeights.fill(1, row + numPos, row + numPos + r.negInds.length);
    row += numPos + r.negInds.length;
  }
  return t;
}

/** mmdetection's accuracy (top-1, in percent) of logits [R * C] against labels [R]; 0 without RoIs. */
export function topOneAccuracy(scores: Float32Array, labels: Int32Array): number {
  const r = labels.length;
  if (r === 0) return 0;
  const c = scores.length / r;
  let correct = 0;
  for (let i = 0; i < r; i++) {
    let best = 0;
    for (let k = 1; k < c; k++) if (scores[i * c + k] > scores[i * c + best]) best = k;
    if (best === labels[i]) correct++;
  }
  return Math.fround(correct * Math.fround(100 / r));
}
