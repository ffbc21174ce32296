import type { NmsOptions } from '../../core/engine';

const f32 = Math.fround;

/**
 * Greedy NMS on the host with mmcv 2.x semantics: boxes x1,y1,x2,y2 without the +1 pixel
 * convention (area = (x2-x1)*(y2-y1)); a box is suppressed when its IoU with a kept box is
 * > the threshold (strict). Boxes scoring at or below `scoreThreshold` are dropped first.
 * Ties in score keep the lower index first. Returns kept indices in descending score order,
 * at most `maxOutput` of them (-1 = all).
 *
 * The IoU is evaluated in float32, step by step as mmcv's kernel does, so a pair that sits
 * on the threshold is decided the same way.
 */
export function hostNms(boxes: Float32Array, scores: Float32Array, o: NmsOptions): Int32Array {
  const n = scores.length;
  if (boxes.length !== 4 * n) throw new Error(`NMS: ${n} scores need [${n},4] boxes, got ${boxes.length} values`);
  // thresholds are float32 like the scores (PyTorch compares a float32 tensor with a float32 scalar)
  const minScore = f32(o.scoreThreshold);
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (scores[i] > minScore) order.push(i);
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  const area = new Float32Array(n);
  for (const i of order) area[i] = f32(f32(boxes[4 * i + 2] - boxes[4 * i]) * f32(boxes[4 * i + 3] - boxes[4 * i + 1]));
  const threshold = f32(o.iouThreshold);
  const limit = o.maxOutput < 0 ? n : o.maxOutput;
  const suppressed = new Uint8Array(n);
  const keep: number[] = [];
  for (let p = 0; p < order.length && keep.length < limit; p++) {
    const i = order[p];
    if (suppressed[i]) continue;
    keep.push(i);
    for (let q = p + 1; q < order.length; q++) {
      const j = order[q];
      if (!suppressed[j] && iou(boxes, area, i, j) > threshold) suppressed[j] = 1;
    }
  }
  return Int32Array.from(keep);
}

/** mmcv's IoU in float32 (each step rounded); 0/0 (two empty boxes) is NaN and suppresses nothing. */
function iou(b: Float32Array, area: Float32Array, i: number, j: number): number {
  const w = Math.max(0, f32(Math.min(b[4 * i + 2], b[4 * j + 2]) - Math.max(b[4 * i], b[4 * j])));
  const h = Math.max(0, f32(Math.min(b[4 * i + 3], b[4 * j + 3]) - Math.max(b[4 * i + 1], b[4 * j + 1])));
  const inter = f32(w * h);
  return f32(inter / f32(f32(area[i] + area[j]) - inter));
}
