import { bboxIou, rleIou, type IouMatrix } from '../../structures/mask';
import { EPS, pairwiseSum } from './numeric';
import type { CocoEvalParams } from './params';
import type { EvalDt, EvalGt } from './prepare';

/**
 * IoU (bbox, segm) or OKS (keypoints) of the top-`maxDets[-1]` detections (by score, stable)
 * against the GT in file order, as COCOeval's computeIoU / computeOks. `null` where pycocotools
 * has an empty table (no GT or no detection).
 */
export function computeIou(gts: readonly EvalGt[], dts: readonly EvalDt[], p: CocoEvalParams): IouMatrix | null {
  if (gts.length === 0 || dts.length === 0) return null;
  const iscrowd = gts.map((g) => g.iscrowd);
  if (p.iouType === 'bbox') return bboxIou(dts.map((d) => d.bbox), gts.map((g) => g.bbox), iscrowd);
  if (p.iouType === 'segm') return rleIou(dts.map((d) => d.rle!), gts.map((g) => g.rle!), iscrowd);
  return computeOks(gts, dts, p.kptOksSigmas);
}

/**
 * Object keypoint similarity: mean over the GT's labelled keypoints of
 * exp(-d² / (2σ)² / (area + eps) / 2); a GT without labelled keypoints measures the distance
 * to its box grown by its own size on every side, over all keypoints.
 */
export function computeOks(gts: readonly EvalGt[], dts: readonly EvalDt[], sigmas: readonly number[]): IouMatrix {
  const k = sigmas.length;
  const vars = sigmas.map((s) => (s * 2) ** 2);
  const values = new Float64Array(dts.length * gts.length);
  const e = new Float64Array(k);
  for (let j = 0; j < gts.length; j++) {
    const g = gts[j].keypoints!;
    const labelled: number[] = [];
    for (let t = 0; t < k; t++) if (g[3 * t + 2] > 0) labelled.push(t);
    const [bx, by, bw, bh] = gts[j].bbox;
    const [x0, x1, y0, y1] = [bx - bw, bx + bw * 2, by - bh, by + bh * 2];
    const area = gts[j].area + EPS;
    for (let i = 0; i < dts.length; i++) {
      const d = dts[i].keypoints!;
      for (let t = 0; t < k; t++) {
        const xd = d[3 * t];
        const yd = d[3 * t + 1];
        let dx: number;
        let dy: number;
        if (labelled.length > 0) {
          dx = xd - g[3 * t];
          dy = yd - g[3 * t + 1];
        } else {
          dx = Math.max(0, x0 - xd) + Math.max(0, xd - x1);
          dy = Math.max(0, y0 - yd) + Math.max(0, yd - y1);
        }
        e[t] = Math.exp(-((dx * dx + dy * dy) / vars[t] / area / 2));
      }
      const used = labelled.length > 0 ? Float64Array.from(labelled, (t) => e[t]) : e;
      values[i * gts.length + j] = pairwiseSum(used) / used.length;
    }
  }
  return { rows: dts.length, cols: gts.length, values };
}
