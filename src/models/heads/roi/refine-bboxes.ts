/**
 * mmdetection's BBoxHead.refine_bboxes (between cascade stages in training, without
 * gradient): the sampled RoIs of a stage are regressed by the stage's deltas and become the
 * next stage's proposals. A RoI's class is its target label, or for a background RoI the
 * argmax of its foreground logits (first on ties); regress_by_class takes that class's 4
 * deltas (the only 4 with reg_class_agnostic), decodes them with the head's coder and clips
 * to img_shape; the RoIs that were GT boxes added as proposals (pos_is_gt) are dropped.
 */
import { hostTensor } from '../../../core/host-tensor';
import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import type { DetDataSample } from '../../../structures/det-data-sample';
import type { DeltaXYWHBBoxCoder } from '../../task-modules/coders/delta-xywh-bbox-coder';
import type { SamplingResult } from '../../task-modules/samplers/sampling-result';
import type { BBoxHeadOutputs } from './convfc-bbox-head';
import { imageShapeOf } from './image-metas';

export interface RefineHead {
  numClasses: number;
  regClassAgnostic: boolean;
  bboxCoder: DeltaXYWHBBoxCoder;
}

/**
 * The refined boxes [P_i * 4] of every image, or null when the stage had no RoI at all
 * (mmdetection's "empty proposal": the cascade stops). `rois` [R, 5] and `out` are the
 * stage's sampled RoIs and outputs, `labels` [R] their target labels (background = numClasses).
 */
export function refineBboxes(head: RefineHead, results: readonly SamplingResult[], labels: Int32Array, out: BBoxHeadOutputs, rois: Tensor, samples: readonly DetDataSample[]): Float32Array[] | null {
  const r = labels.length;
  if (r === 0) return null;
  const k = head.numClasses;
  const scores = F.toHost(out.clsScore).data as Float32Array;
  const c = out.clsScore.shape[1];
  if (c !== k + 1 && c !== k) throw new Error(`refine_bboxes: ${c} class scores, expected ${k + 1} (or ${k})`);
  const cls = Int32Array.from(labels, (l, i) => (l === k ? argmax(scores, i * c, k) : l));
  const deltas = F.toHost(out.bboxPred).data as Float32Array;
  const d = out.bboxPred.shape[1];
  const boxes = F.toHost(rois).data as Float32Array;
  const refined: Float32Array[] = [];
  let start = 0;
  results.forEach((res, i) => {
    const n = res.posInds.length + res.negInds.length;
    const priors = new Float32Array(n * 4);
    const own = new Float32Array(n * 4);
    for (let j = 0; j < n; j++) {
      const row = start + j;
      priors.set(boxes.subarray(5 * row + 1, 5 * row + 5), 4 * j);
      const col = head.regClassAgnostic ? 0 : 4 * cls[row];
      own.set(deltas.subarray(row * d + col, row * d + col + 4), 4 * j);
    }
    const t = (b: Float32Array) => F.constant(hostTensor('float32', [n, 4], b));
    const decoded = n > 0 ? (F.toHost(head.bboxCoder.decode(t(priors), t(own), imageShapeOf(samples[i], i))).data as Float32Array) : new Float32Array(0);
    // keep all but the GT boxes that were added as proposals (they lead the positives)
    const keep: number[] = [];
    for (let j = 0; j < n; j++) if (!(j < res.posIsGt.length && res.posIsGt[j])) keep.push(j);
    const kept = new Float32Array(keep.length * 4);
    keep.forEach((j, q) => kept.set(decoded.subarray(4 * j, 4 * j + 4), 4 * q));
    refined.push(kept);
    start += n;
  });
  return refined;
}

function argmax(scores: Float32Array, offset: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (scores[offset + j] > scores[offset + best]) best = j;
  return best;
}
