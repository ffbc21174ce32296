import type { IouMatrix } from '../../structures/mask';
import { computeIou } from './compute-iou';
import { evaluateImage } from './evaluate-image';
import { argsortDescending } from './numeric';
import type { CocoEvalParams } from './params';
import type { Cell, EvalDt } from './prepare';

/**
 * COCOeval's evalImgs of one category, as flat tables: the kept detections of every image
 * (images in id order, each image's in score order) are numbered 0..n-1, and matching writes
 * each one's outcome per area range and IoU threshold into `outcome[(a * T + t) * n + q]`.
 */
export interface CategoryTable {
  n: number;
  scores: Float64Array;
  /** Rank of the detection among its image's kept detections (for smaller maxDets). */
  rank: Int32Array;
  outcome: Uint8Array;
  /** Per area range: GT that count (not ignored), over all images. */
  counted: Int32Array;
  /** Whether any image has GT or detections of this category. */
  any: boolean;
}

/** evaluate() for one category: `cells` are its (image index, cell) pairs in ascending image order. */
export function evaluateCategory(cells: readonly { i: number; cell: Cell }[], p: CocoEvalParams): CategoryTable {
  const maxDet = p.maxDets[p.maxDets.length - 1];
  const T = p.iouThrs.length;
  const A = p.areaRng.length;
  const kept: { cell: Cell; dts: EvalDt[]; ious: IouMatrix | null; offset: number }[] = [];
  let n = 0;
  for (const { cell } of cells) {
    if (cell.gts.length === 0 && cell.dts.length === 0) continue;
    const order = argsortDescending(cell.dts.map((d) => d.score));
    const dts = order.slice(0, maxDet).map((j) => cell.dts[j]);
    kept.push({ cell, dts, ious: computeIou(cell.gts, dts, p), offset: n });
    n += dts.length;
  }
  const table: CategoryTable = {
    n,
    scores: new Float64Array(n),
    rank: new Int32Array(n),
    outcome: new Uint8Array(A * T * n),
    counted: new Int32Array(A),
    any: kept.length > 0,
  };
  for (const { cell, dts, ious, offset } of kept) {
    dts.forEach((d, r) => {
      table.scores[offset + r] = d.score;
      table.rank[offset + r] = r;
    });
    for (let a = 0; a < A; a++) {
      const slot = { outcome: table.outcome, base: a * T * n, stride: n, offset };
      table.counted[a] += evaluateImage(cell.gts, dts, ious, p.areaRng[a], p.iouThrs, slot);
    }
  }
  return table;
}
