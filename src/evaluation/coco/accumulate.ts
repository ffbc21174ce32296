import { argsortDescending, EPS } from './numeric';
import type { CategoryTable } from './category-table';
import { FP, TP } from './evaluate-image';
import type { CocoEvalParams } from './params';

/** COCOeval's `eval`: precision T×R×K×A×M, recall T×K×A×M, scores T×R×K×A×M (row-major, -1 = absent). */
export interface Accumulated {
  shape: { T: number; R: number; K: number; A: number; M: number };
  precision: Float64Array;
  recall: Float64Array;
  scores: Float64Array;
}

/** Empty accumulation tables (-1 everywhere) for the params. */
export function emptyAccumulated(p: CocoEvalParams): Accumulated {
  const [T, R, K, A, M] = [p.iouThrs.length, p.recThrs.length, p.catIds.length, p.areaRng.length, p.maxDets.length];
  return {
    shape: { T, R, K, A, M },
    precision: new Float64Array(T * R * K * A * M).fill(-1),
    recall: new Float64Array(T * K * A * M).fill(-1),
    scores: new Float64Array(T * R * K * A * M).fill(-1),
  };
}

/**
 * COCOeval.accumulate for category k: the detections of all images stable-sorted by score
 * (ties keep image-id order, then score order inside the image); per area range and maxDets
 * (a smaller maxDets leaves out the detections ranked past it in their image), cumulative
 * TP/FP give recall and precision, made monotone from the right and read at the recall
 * thresholds (first index reaching each; past the last recall, 0).
 */
export function accumulateCategory(table: CategoryTable, k: number, p: CocoEvalParams, acc: Accumulated): void {
  const { T, R, K, A, M } = acc.shape;
  if (!table.any) return;
  const n = table.n;
  const order = argsortDescending(table.scores);
  const rc = new Float64Array(n);
  const pr = new Float64Array(n);
  const kept = new Int32Array(n);
  for (let a = 0; a < A; a++) {
    const npig = table.counted[a];
    if (npig === 0) continue;
    for (let m = 0; m < M; m++) {
      let nd = 0;
      for (const q of order) if (table.rank[q] < p.maxDets[m]) kept[nd++] = q;
      for (let t = 0; t < T; t++) {
        precisionCurve(table.outcome, (a * T + t) * n, kept, nd, npig, rc, pr);
        acc.recall[((t * K + k) * A + a) * M + m] = nd ? rc[nd - 1] : 0;
        let j = 0;
        for (let r = 0; r < R; r++) {
          while (j < nd && rc[j] < p.recThrs[r]) j++;
          const at = (((t * R + r) * K + k) * A + a) * M + m;
          acc.precision[at] = j < nd ? pr[j] : 0;
          acc.scores[at] = j < nd ? table.scores[kept[j]] : 0;
        }
      }
    }
  }
}

/** Recall and (right-monotone) precision after each of the `nd` detections in `kept` order. */
function precisionCurve(outcome: Uint8Array, base: number, kept: Int32Array, nd: number, npig: number, rc: Float64Array, pr: Float64Array): void {
  let tp = 0;
  let fp = 0;
  for (let j = 0; j < nd; j++) {
    const o = outcome[base + kept[j]];
    if (o === TP) tp++;
    else if (o === FP) fp++;
    rc[j] = tp / npig;
    pr[j] = tp / (fp + tp + EPS);
  }
  for (let j = nd - 1; j > 0; j--) if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
}
