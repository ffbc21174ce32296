import { argsortDescending, EPS } from './numeric';
import type { EvalImage } from './evaluate-image';
import type { CocoEvalParams } from './params';

/** COCOeval's `eval`: precision T×R×K×A×M, recall T×K×A×M, scores T×R×K×A×M (row-major, -1 = absent). */
export interface Accumulated {
  shape: { T: number; R: number; K: number; A: number; M: number };
  precision: Float64Array;
  recall: Float64Array;
  scores: Float64Array;
}

/** Per category k, area a, image i: `evalImgs[(k * A + a) * I + i]`, as COCOeval orders them. */
export type EvalImages = readonly (EvalImage | null)[];

/**
 * COCOeval.accumulate: per category, area range and maxDets, the kept detections of all images
 * (image-id order, then score order inside each) are stable-sorted by score; cumulative TP/FP
 * give recall and precision (made monotone from the right), read at the recall thresholds.
 */
export function accumulate(evalImgs: EvalImages, p: CocoEvalParams): Accumulated {
  const T = p.iouThrs.length;
  const R = p.recThrs.length;
  const K = p.catIds.length;
  const A = p.areaRng.length;
  const M = p.maxDets.length;
  const I = p.imgIds.length;
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const scores = new Float64Array(T * R * K * A * M).fill(-1);
  for (let k = 0; k < K; k++) {
    for (let a = 0; a < A; a++) {
      const E: EvalImage[] = [];
      for (let i = 0; i < I; i++) {
        const e = evalImgs[(k * A + a) * I + i];
        if (e) E.push(e);
      }
      if (E.length === 0) continue;
      let npig = 0;
      for (const e of E) for (const v of e.gtIgnore) if (v === 0) npig++;
      if (npig === 0) continue;
      for (let m = 0; m < M; m++) {
        const curve = precisionCurve(E, p.maxDets[m], T, npig);
        for (let t = 0; t < T; t++) {
          const { rc, pr, sortedScores } = curve[t];
          const nd = rc.length;
          recall[((t * K + k) * A + a) * M + m] = nd ? rc[nd - 1] : 0;
          // first index whose recall reaches each threshold (numpy searchsorted, side='left')
          let idx = 0;
          for (let r = 0; r < R; r++) {
            while (idx < nd && rc[idx] < p.recThrs[r]) idx++;
            if (idx >= nd) {
              for (let rr = r; rr < R; rr++) {
                precision[(((t * R + rr) * K + k) * A + a) * M + m] = 0;
                scores[(((t * R + rr) * K + k) * A + a) * M + m] = 0;
              }
              break;
            }
            precision[(((t * R + r) * K + k) * A + a) * M + m] = pr[idx];
            scores[(((t * R + r) * K + k) * A + a) * M + m] = sortedScores[idx];
          }
        }
      }
    }
  }
  return { shape: { T, R, K, A, M }, precision, recall, scores };
}

interface Curve {
  rc: Float64Array;
  pr: Float64Array;
  sortedScores: Float64Array;
}

function precisionCurve(E: readonly EvalImage[], maxDet: number, T: number, npig: number): Curve[] {
  let n = 0;
  for (const e of E) n += Math.min(e.dtScores.length, maxDet);
  const allScores = new Float64Array(n);
  const owner = new Int32Array(n);
  const local = new Int32Array(n);
  let p = 0;
  E.forEach((e, j) => {
    const take = Math.min(e.dtScores.length, maxDet);
    for (let d = 0; d < take; d++, p++) {
      allScores[p] = e.dtScores[d];
      owner[p] = j;
      local[p] = d;
    }
  });
  const inds = argsortDescending(allScores);
  const sortedScores = Float64Array.from(inds, (q) => allScores[q]);
  const curves: Curve[] = [];
  for (let t = 0; t < T; t++) {
    const rc = new Float64Array(n);
    const pr = new Float64Array(n);
    let tp = 0;
    let fp = 0;
    let w = 0;
    for (const q of inds) {
      const e = E[owner[q]];
      const D = e.dtScores.length;
      const at = t * D + local[q];
      if (!e.dtIgnore[at]) {
        if (e.dtMatches[at] !== 0) tp++;
        else fp++;
      }
      rc[w] = tp / npig;
      pr[w] = tp / (fp + tp + EPS);
      w++;
    }
    for (let i = n - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
    curves.push({ rc, pr, sortedScores });
  }
  return curves;
}
