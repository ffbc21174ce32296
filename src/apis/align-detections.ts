import { hostTensor, type HostData, type HostTensor } from '../core/host-tensor';

/** Outputs with one row per final detection (per image, `.i` suffixed for batches). */
const PER_DETECTION = new Set(['dets', 'labels', 'masks', 'mask_pred_label', 'mask_prob_label']);

/**
 * onnxruntime's graph and the eager engine round convolutions differently, so two detections
 * whose scores agree to the last digits can come out of the final NMS and top-k in either
 * order. Where `got`'s detections of an image are `ref`'s up to such trades (the same label,
 * box and score, each value within 1e-3 of its magnitude), `got`'s per-detection outputs are
 * put in `ref`'s order; anything else is left as it is for the comparison to report.
 */
export function alignDetections(got: ReadonlyMap<string, HostTensor>, ref: ReadonlyMap<string, HostTensor>): Map<string, HostTensor> {
  const out = new Map(got);
  for (const [name, r] of ref) {
    const sfx = /^dets(\.\d+)?$/.exec(name)?.[1];
    if (sfx === undefined && name !== 'dets') continue;
    const suffix = sfx ?? '';
    const [g, lr, lg] = [got.get(name), ref.get(`labels${suffix}`), got.get(`labels${suffix}`)];
    if (!g || !lr || !lg || g.shape[0] !== r.shape[0] || r.shape[1] !== 5) continue;
    const order = matchOrder(g.data, lg.data, r.data, lr.data, r.shape[0]);
    if (!order || order.every((k, j) => k === j)) continue;
    for (const [n, t] of got) {
      const base = n.replace(/\.\d+$/, '');
      if (n.slice(base.length) === suffix && PER_DETECTION.has(base) && t.shape[0] === r.shape[0]) out.set(n, permuteRows(t, order));
    }
  }
  return out;
}

/** For each reference detection the index of the same one in `got` (its own index first), or null if one has none. */
function matchOrder(dg: HostData, lg: HostData, dr: HostData, lr: HostData, n: number): number[] | null {
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-3 * Math.max(1, Math.abs(y));
  const same = (k: number, j: number) => Number(lg[k]) === Number(lr[j]) && [0, 1, 2, 3, 4].every((c) => close(Number(dg[5 * k + c]), Number(dr[5 * j + c])));
  const used = new Uint8Array(n);
  const order: number[] = [];
  for (let j = 0; j < n; j++) {
    let k = !used[j] && same(j, j) ? j : -1;
    for (let t = 0; k < 0 && t < n; t++) if (!used[t] && same(t, j)) k = t;
    if (k < 0) return null;
    used[k] = 1;
    order.push(k);
  }
  return order;
}

function permuteRows(t: HostTensor, order: readonly number[]): HostTensor {
  const row = t.data.length / t.shape[0];
  const src = t.data as unknown as { subarray(a: number, b: number): ArrayLike<number>; constructor: new (n: number) => { set(a: ArrayLike<number>, at: number): void } };
  const data = new src.constructor(t.data.length);
  order.forEach((k, j) => data.set(src.subarray(k * row, (k + 1) * row), j * row));
  return hostTensor(t.dtype, t.shape, data as unknown as HostData);
}
