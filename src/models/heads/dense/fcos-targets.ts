/**
 * mmdetection's FCOSHead.get_targets on the host, in float32 arithmetic step by step (so the
 * inside / range decisions and area ties come out as PyTorch's): for every point of every
 * level the GT it regresses (smallest area among the GTs it lies in, whose largest distance
 * falls in the level's regress range) or the background (label = num_classes).
 */
import type { HostGtInstances } from '../../task-modules/host-boxes';

/** mmdetection's INF: areas of excluded GTs. */
const INF = 1e8;

export interface FCOSTargetCfg {
  numClasses: number;
  strides: readonly number[];
  regressRanges: readonly (readonly [number, number])[];
  centerSampling: boolean;
  centerSampleRadius: number;
  normOnBbox: boolean;
}

export interface FCOSImageTargets {
  /** [P] per point of all levels (levels concatenated, y-major): GT class or num_classes. */
  labels: Int32Array;
  /** [P * 4] (left, top, right, bottom) to the assigned GT, divided by the level stride with norm_on_bbox. */
  bboxTargets: Float32Array;
}

/** Targets of one image; `points[l]` holds level l's points as flat (x, y) pairs. */
export function fcosImageTargets(points: readonly Float32Array[], gt: HostGtInstances, cfg: FCOSTargetCfg): FCOSImageTargets {
  const total = points.reduce((a, p) => a + p.length / 2, 0);
  const labels = new Int32Array(total).fill(cfg.numClasses);
  const bboxTargets = new Float32Array(total * 4);
  const g = gt.labels.length;
  if (g === 0) return { labels, bboxTargets };
  const f = Math.fround;
  const b = gt.bboxes;
  const areas = Float32Array.from({ length: g }, (_, k) => f(f(b[4 * k + 2] - b[4 * k]) * f(b[4 * k + 3] - b[4 * k + 1])));
  const centres = Float32Array.from({ length: 2 * g }, (_, j) => f(f(b[4 * (j >> 1) + (j & 1)] + b[4 * (j >> 1) + 2 + (j & 1)]) / 2));
  const d = new Float32Array(4);
  let row = 0;
  points.forEach((pts, level) => {
    const [lo, hi] = cfg.regressRanges[level].map(f);
    const radius = f(cfg.strides[level] * cfg.centerSampleRadius);
    const norm = cfg.normOnBbox ? cfg.strides[level] : 1;
    for (let p = 0; p < pts.length / 2; p++, row++) {
      const [x, y] = [pts[2 * p], pts[2 * p + 1]];
      let best = INF;
      let bestK = 0;
      for (let k = 0; k < g; k++) {
        distances(x, y, b, k, d);
        const inside = cfg.centerSampling ? insideCentre(x, y, b, k, centres, radius) : Math.min(d[0], d[1], d[2], d[3]) > 0;
        const far = Math.max(d[0], d[1], d[2], d[3]);
        const area = inside && far >= lo && far <= hi ? areas[k] : INF;
        if (area < best) [best, bestK] = [area, k]; // torch's min: the first GT on ties
      }
      if (best !== INF) labels[row] = gt.labels[bestK];
      distances(x, y, b, bestK, d);
      for (let c = 0; c < 4; c++) bboxTargets[4 * row + c] = d[c] / norm;
    }
  });
  return { labels, bboxTargets };
}

/** (left, top, right, bottom) from point (x, y) to GT k, each rounded to float32. */
function distances(x: number, y: number, b: Float32Array, k: number, out: Float32Array): void {
  out[0] = x - b[4 * k];
  out[1] = y - b[4 * k + 1];
  out[2] = b[4 * k + 2] - x;
  out[3] = b[4 * k + 3] - y;
}

/** Inside GT k cut to the square of half-size `radius` (stride * center_sample_radius) around its centre. */
function insideCentre(x: number, y: number, b: Float32Array, k: number, centres: Float32Array, radius: number): boolean {
  const f = Math.fround;
  const [cx, cy] = [centres[2 * k], centres[2 * k + 1]];
  const x1 = Math.max(f(cx - radius), b[4 * k]);
  const y1 = Math.max(f(cy - radius), b[4 * k + 1]);
  const x2 = Math.min(f(cx + radius), b[4 * k + 2]);
  const y2 = Math.min(f(cy + radius), b[4 * k + 3]);
  return Math.min(f(x - x1), f(y - y1), f(x2 - x), f(y2 - y)) > 0;
}

/** mmdetection's centerness_target of (normalised) distances [P * 4]: sqrt(min/max(l, r) * min/max(t, b)). */
export function centernessTargets(bboxTargets: Float32Array): Float32Array {
  const f = Math.fround;
  const out = new Float32Array(bboxTargets.length / 4);
  for (let i = 0; i < out.length; i++) {
    const [l, t, r, b] = bboxTargets.subarray(4 * i, 4 * i + 4);
    const lr = f(Math.min(l, r) / Math.max(l, r));
    const tb = f(Math.min(t, b) / Math.max(t, b));
    out[i] = Math.sqrt(f(lr * tb));
  }
  return out;
}
