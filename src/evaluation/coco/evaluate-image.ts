import type { IouMatrix } from '../mask';
import type { EvalDt, EvalGt } from './prepare';

/** COCOeval's per-image, per-category, per-area-range record (its `evalImgs` entry). */
export interface EvalImage {
  /** Scores of the kept detections, highest first. */
  dtScores: Float64Array;
  /** T×D: id of the GT each detection matched at each IoU threshold, 0 if none. */
  dtMatches: Float64Array;
  /** T×D: detection neither TP nor FP at that threshold. */
  dtIgnore: Uint8Array;
  /** Per GT (ignored ones last): ignored (crowd, out of the area range, ...). */
  gtIgnore: Uint8Array;
}

/**
 * Greedy matching as COCOeval's evaluateImg. `dts` are already sorted by score (stable) and
 * `ious` is their table against `gts` in file order. Per IoU threshold each detection, best
 * score first, takes the GT of highest IoU >= the threshold (the later one on ties) that is
 * free or a crowd; it never leaves a non-ignored GT for an ignored one.
 */
export function evaluateImage(
  gts: readonly EvalGt[],
  dts: readonly EvalDt[],
  ious: IouMatrix | null,
  areaRng: readonly [number, number],
  maxDet: number,
  iouThrs: readonly number[],
): EvalImage | null {
  if (gts.length === 0 && dts.length === 0) return null;
  const outside = (area: number) => area < areaRng[0] || area > areaRng[1];
  const gtIgnoreByFile = gts.map((g) => (g.ignore || outside(g.area) ? 1 : 0));
  // stable: non-ignored GT first, file order kept within each group
  const order = gts.map((_, i) => i).sort((a, b) => gtIgnoreByFile[a] - gtIgnoreByFile[b]);
  const G = gts.length;
  const D = Math.min(dts.length, maxDet);
  const T = iouThrs.length;
  const gtIgnore = Uint8Array.from(order, (i) => gtIgnoreByFile[i]);
  const crowd = order.map((i) => gts[i].iscrowd);
  const gtm = new Float64Array(T * G);
  const dtMatches = new Float64Array(T * D);
  const dtIgnore = new Uint8Array(T * D);
  if (ious && ious.values.length > 0) {
    const cols = ious.cols;
    for (let t = 0; t < T; t++) {
      for (let d = 0; d < D; d++) {
        let best = Math.min(iouThrs[t], 1 - 1e-10);
        let m = -1;
        const row = d * cols;
        for (let g = 0; g < G; g++) {
          if (gtm[t * G + g] > 0 && !crowd[g]) continue;
          if (m > -1 && gtIgnore[m] === 0 && gtIgnore[g] === 1) break;
          const v = ious.values[row + order[g]];
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
    if (!outside(dts[d].area)) continue;
    for (let t = 0; t < T; t++) if (dtMatches[t * D + d] === 0) dtIgnore[t * D + d] = 1;
  }
  const dtScores = Float64Array.from({ length: D }, (_, d) => dts[d].score);
  return { dtScores, dtMatches, dtIgnore, gtIgnore };
}
