import type { IouMatrix } from '../../structures/mask';
import type { EvalDt, EvalGt } from './prepare';

/** What a detection was at one IoU threshold and area range. */
export const FP = 0;
export const TP = 1;
export const IGNORED = 2;

/**
 * Where evaluateImage writes: the outcome of detection `offset + d` at threshold t goes to
 * `outcome[base + t * stride + offset + d]` (one table per category, see category-table.ts).
 */
export interface OutcomeSlot {
  outcome: Uint8Array;
  base: number;
  stride: number;
  offset: number;
}

let gtMatched = new Float64Array(256);
let gtOrder = new Int32Array(64);
let gtIgnore = new Uint8Array(64);

function scratch(G: number, T: number): void {
  if (gtMatched.length < T * G) gtMatched = new Float64Array(2 * T * G);
  if (gtOrder.length < G) {
    gtOrder = new Int32Array(2 * G);
    gtIgnore = new Uint8Array(2 * G);
  }
}

/**
 * COCOeval's evaluateImg for one image, category and area range; returns the number of GT
 * that count (not ignored). `dts` are the kept detections sorted by score (stable), `ious`
 * their table against `gts` in file order. GT ignored (crowd, out of the area range, ...) go
 * last, keeping file order. Per IoU threshold each detection, best score first, takes the GT
 * of highest IoU >= the threshold (the later one on ties) that is free or a crowd, never
 * leaving a non-ignored GT for an ignored one. A detection matched to an ignored GT, or
 * unmatched and outside the area range, is ignored.
 */
export function evaluateImage(
  gts: readonly EvalGt[],
  dts: readonly EvalDt[],
  ious: IouMatrix | null,
  areaRng: readonly [number, number],
  iouThrs: readonly number[],
  out: OutcomeSlot,
): number {
  const G = gts.length;
  const D = dts.length;
  const T = iouThrs.length;
  const [lo, hi] = areaRng;
  scratch(G, T);
  let counted = 0;
  for (let g = 0; g < G; g++) {
    const x = gts[g];
    if (!(x.ignore || x.area < lo || x.area > hi)) gtOrder[counted++] = g;
  }
  let n = counted;
  for (let g = 0; g < G; g++) {
    const x = gts[g];
    if (x.ignore || x.area < lo || x.area > hi) gtOrder[n++] = g;
  }
  for (let g = 0; g < G; g++) gtIgnore[g] = g < counted ? 0 : 1;
  gtMatched.fill(0, 0, T * G);
  const { outcome, base, stride, offset } = out;
  for (let t = 0; t < T; t++) {
    const row = base + t * stride + offset;
    for (let d = 0; d < D; d++) {
      const m = ious && G > 0 ? bestMatch(gts, ious, d, t, iouThrs[t]) : -1;
      if (m === -1) {
        const area = dts[d].area;
        outcome[row + d] = area < lo || area > hi ? IGNORED : FP;
        continue;
      }
      outcome[row + d] = gtIgnore[m] ? IGNORED : TP;
      gtMatched[t * G + m] = dts[d].id;
      // pycocotools tests "matched" as a non-zero GT id: a GT with id 0 counts as unmatched
      if (gts[gtOrder[m]].id === 0 && !gtIgnore[m]) {
        const area = dts[d].area;
        outcome[row + d] = area < lo || area > hi ? IGNORED : FP;
      }
    }
  }
  return counted;
}

/** The GT (position in ignore-last order) detection d takes at threshold t, or -1. */
function bestMatch(gts: readonly EvalGt[], ious: IouMatrix, d: number, t: number, thr: number): number {
  const G = gts.length;
  let best = Math.min(thr, 1 - 1e-10);
  let m = -1;
  const row = d * ious.cols;
  for (let g = 0; g < G; g++) {
    const gi = gtOrder[g];
    if (gtMatched[t * G + g] > 0 && !gts[gi].iscrowd) continue;
    if (m > -1 && gtIgnore[m] === 0 && gtIgnore[g] === 1) break;
    const v = ious.values[row + gi];
    if (v < best) continue;
    best = v;
    m = g;
  }
  return m;
}
