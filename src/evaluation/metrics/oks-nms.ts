import { EPS, pairwiseSum } from '../coco/numeric';

export interface PoseInstance {
  /** K×3 flattened: x, y, keypoint score. */
  keypoints: number[];
  score: number;
  area: number;
}

/**
 * mmpose's oks_nms: keep the best-scored instance, drop those whose OKS with it (the two areas
 * averaged) exceeds `thr` (computed in float32, as mmpose stores it), repeat. Scores are ordered
 * as numpy's `argsort()[::-1]` orders them for small inputs: ties by descending index.
 */
export function oksNms(instances: readonly PoseInstance[], thr: number, sigmas: readonly number[]): number[] {
  const vars = sigmas.map((s) => (s * 2) ** 2);
  let order = instances.map((_, i) => i).sort((a, b) => instances[a].score - instances[b].score).reverse();
  const keep: number[] = [];
  while (order.length > 0) {
    const i = order[0];
    keep.push(i);
    const rest = order.slice(1);
    order = rest.filter((j) => Math.fround(oks(instances[i], instances[j], vars)) <= thr);
  }
  return keep;
}

function oks(g: PoseInstance, d: PoseInstance, vars: readonly number[]): number {
  const e = new Float64Array(vars.length);
  const area = (g.area + d.area) / 2 + EPS;
  for (let k = 0; k < vars.length; k++) {
    const dx = d.keypoints[3 * k] - g.keypoints[3 * k];
    const dy = d.keypoints[3 * k + 1] - g.keypoints[3 * k + 1];
    e[k] = Math.exp(-((dx * dx + dy * dy) / vars[k] / area / 2));
  }
  return e.length ? pairwiseSum(e) / e.length : 0;
}
