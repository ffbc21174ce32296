import type { IouMatrix } from '../mask';
import type { EvalDt, EvalGt } from './prepare';

/**
 * COCOeval's per-image, per-category, per-area-range record (its `evalImgs` entry). Plain
 * arrays: there are hundreds of thousands of these, mostly tiny, and small typed arrays cost
 * more to allocate than they save.
 */
export interface EvalImage {
  /** Scores of the kept detections, highest first (shared by the area ranges of one cell). */
  dtScores: readonly number[];
  /** T×D: id of the GT each detection matched at each IoU threshold, 0 if none. */
  dtMatches: number[];
  /** T×D: 1 where the detection is neither TP nor FP at that threshold. */
  dtIgnore: number[];
  /** Per GT (ignored ones last): 1 if ignored (crowd, out of the area range, ...). */
  gtIgnore: number[];
}

/**
 * Greedy matching as COCOeval's evaluateImg. `dts` are the kept detections sorted by score
 * (stable) and `ious` is their table against `gts` in file order. Per IoU threshold each
 * detection, best score first, takes the GT of highest IoU >= the threshold (the later one on
 * ties) that is free or a crowd; it never leaves a non-ignored GT for an ignored one.
 */
export function evaluateImage(
  gts: readonly EvalGt[],
  dts: readonly EvalDt[],
  dtScores: readonly number[],
  ious: IouMatrix | null,
  areaRng: readonly [number, number],
  iouThrs: readonly number[],
): EvalImage | null {
  const G = gts.length;
  const D = dts.length;
  if (G === 0 && D === 0) return null;
  const [lo, hi] = areaRng;
  // stable: non-ignored GT first, file order kept within each group
  const order: number[] = [];
  const ignoredOrder: number[] = [];
  for (let g = 0; g < G; g++) {
    const x = gts[g];
    (x.ignore || x.area < lo || x.area > hi ? ignoredOrder : order).push(g);
  }
  const firstIgnored = order.length;
  for (const g of ignoredOrder) order.push(g);
  const gtIgnore = order.map((_, g) => (g < firstIgnored ? 0 : 1));
  const T = iouThrs.length;
  const dtMatches: number[] = new Array(T * D).fill(0);
  const dtIgnore: number[] = new Array(T * D).fill(0);
  if (ious && G > 0 && D > 0) {
    const gtm: number[] = new Array(T * G).fill(0);
    const vals = ious.values;
    for (let t = 0; t < T; t++) {
      for (let d = 0; d < D; d++) {
        let best = Math.min(iouThrs[t], 1 - 1e-10);
        let m = -1;
        const row = d * G;
        for (let g = 0; g < G; g++) {
          const gi = order[g];
          if (gtm[t * G + g] > 0 && !gts[gi].iscrowd) continue;
          if (m > -1 && gtIgnore[m] === 0 && gtIgnore[g] === 1) break;
          const v = vals[row + gi];
          if (v < best) continue;
          best = v;
          m = g;
        }
        if (m === -1) continue;
        dtIgnore[t * D + d] = gtIgnore[m];
        dtMatches[t * D + d] = gts[order[m]].id;
        gtm[t * G + m] = dts[d].id;
      }
    }
  }
  // unmatched detections outside the area range are ignored
  for (let d = 0; d < D; d++) {
    const area = dts[d].area;
    if (!(area < lo || area > hi)) continue;
    for (let t = 0; t < T; t++) if (dtMatches[t * D + d] === 0) dtIgnore[t * D + d] = 1;
  }
  return { dtScores, dtMatches, dtIgnore, gtIgnore };
}
