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
 * The detections of one category over all images, in COCOeval's accumulation order: images in
 * id order, each image's kept detections in score order, then stable-sorted by score. The
 * order is the same for every area range (the scores do not depend on it), and for a smaller
 * maxDets it is this order with the detections past that rank in their image left out.
 */
interface CategoryOrder {
  owner: Int32Array;
  local: Int32Array;
  scores: Float64Array;
}

function categoryOrder(evalImgs: EvalImages, base: number, I: number): CategoryOrder | null {
  const images: EvalImage[] = [];
  let n = 0;
  for (let i = 0; i < I; i++) {
    const e = evalImgs[base + i];
    if (e) {
      images.push(e);
      n += e.dtScores.length;
    }
  }
  if (images.length === 0) return null;
  const all = new Float64Array(n);
  const owner = new Int32Array(n);
  const local = new Int32Array(n);
  let p = 0;
  images.forEach((e, j) => {
    for (let d = 0; d < e.dtScores.length; d++, p++) {
      all[p] = e.dtScores[d];
      owner[p] = j;
      local[p] = d;
    }
  });
  const inds = argsortDescending(all);
  return {
    owner: Int32Array.from(inds, (q) => owner[q]),
    local: Int32Array.from(inds, (q) => local[q]),
    scores: Float64Array.from(inds, (q) => all[q]),
  };
}

const FP = 0;
const TP = 1;
const IGNORED = 2;

/**
 * The outcome of every detection of a category at every IoU threshold, T×n in accumulation
 * order, gathered once: reading it from the per-image records inside the threshold loops
 * would jump around the heap for every step.
 */
function gatherStatus(E: readonly EvalImage[], ord: CategoryOrder, T: number, status: Uint8Array): void {
  const n = ord.owner.length;
  for (let q = 0; q < n; q++) {
    const e = E[ord.owner[q]];
    const D = e.dtScores.length;
    const d = ord.local[q];
    for (let t = 0; t < T; t++) {
      const at = t * D + d;
      status[t * n + q] = e.dtIgnore[at] ? IGNORED : e.dtMatches[at] !== 0 ? TP : FP;
    }
  }
}

/**
 * COCOeval.accumulate: per category, area range and maxDets, cumulative TP/FP over the
 * detections in accumulation order give recall and precision (made monotone from the right),
 * read at the recall thresholds (first index reaching each; past the last recall, 0).
 */
export function accumulate(evalImgs: EvalImages, p: CocoEvalParams): Accumulated {
  const [T, R, K, A, M, I] = [p.iouThrs.length, p.recThrs.length, p.catIds.length, p.areaRng.length, p.maxDets.length, p.imgIds.length];
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const scores = new Float64Array(T * R * K * A * M).fill(-1);
  for (let k = 0; k < K; k++) {
    const ord = categoryOrder(evalImgs, k * A * I, I);
    if (!ord) continue;
    const n = ord.scores.length;
    const rc = new Float64Array(n);
    const pr = new Float64Array(n);
    const kept = new Int32Array(n);
    const status = new Uint8Array(T * n);
    for (let a = 0; a < A; a++) {
      const E = evalImgs.slice((k * A + a) * I, (k * A + a + 1) * I).filter((e): e is EvalImage => e !== null);
      let npig = 0;
      for (const e of E) for (let g = 0; g < e.gtIgnore.length; g++) if (e.gtIgnore[g] === 0) npig++;
      if (npig === 0) continue;
      gatherStatus(E, ord, T, status);
      for (let m = 0; m < M; m++) {
        let nd = 0;
        for (let q = 0; q < n; q++) if (ord.local[q] < p.maxDets[m]) kept[nd++] = q;
        for (let t = 0; t < T; t++) {
          let tp = 0;
          let fp = 0;
          for (let j = 0; j < nd; j++) {
            const st = status[t * n + kept[j]];
            if (st === TP) tp++;
            else if (st === FP) fp++;
            rc[j] = tp / npig;
            pr[j] = tp / (fp + tp + EPS);
          }
          recall[((t * K + k) * A + a) * M + m] = nd ? rc[nd - 1] : 0;
          for (let j = nd - 1; j > 0; j--) if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
          let j = 0;
          for (let r = 0; r < R; r++) {
            while (j < nd && rc[j] < p.recThrs[r]) j++;
            const at = (((t * R + r) * K + k) * A + a) * M + m;
            precision[at] = j < nd ? pr[j] : 0;
            scores[at] = j < nd ? ord.scores[kept[j]] : 0;
          }
        }
      }
    }
  }
  return { shape: { T, R, K, A, M }, precision, recall, scores };
}
