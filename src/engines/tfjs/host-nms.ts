import type { NmsOptions } from '../../core/engine';

/**
 * Greedy NMS on the host with mmcv semantics: boxes x1,y1,x2,y2 without the +1 pixel
 * convention, a box is suppressed when its IoU with a kept box is > the threshold; ties in
 * score keep the lower index first. Returns kept indices in descending score order.
 */
export function hostNms(boxes: Float32Array, scores: Float32Array, o: NmsOptions): Int32Array {
  const n = scores.length;
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (scores[i] > o.scoreThreshold) order.push(i);
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  const area = (i: number) => Math.max(0, boxes[4 * i + 2] - boxes[4 * i]) * Math.max(0, boxes[4 * i + 3] - boxes[4 * i + 1]);
  const keep: number[] = [];
  const suppressed = new Uint8Array(n);
  const limit = o.maxOutput < 0 ? n : o.maxOutput;
  for (const i of order) {
    if (keep.length >= limit) break;
    if (suppressed[i]) continue;
    keep.push(i);
    const ai = area(i);
    for (const j of order) {
      if (suppressed[j] || j === i) continue;
      const w = Math.min(boxes[4 * i + 2], boxes[4 * j + 2]) - Math.max(boxes[4 * i], boxes[4 * j]);
      const h = Math.min(boxes[4 * i + 3], boxes[4 * j + 3]) - Math.max(boxes[4 * i + 1], boxes[4 * j + 1]);
      if (w <= 0 || h <= 0) continue;
      const inter = w * h;
      const iou = inter / (ai + area(j) - inter);
      if (iou > o.iouThreshold) suppressed[j] = 1;
    }
  }
  return Int32Array.from(keep);
}
