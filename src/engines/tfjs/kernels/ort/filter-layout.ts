/**
 * Filters in onnxruntime's layout, kept for filters that come back. A tfjs filter is
 * [kh, kw, in, out]; onnxruntime's Conv wants [out, in, kh, kw], so every call transposes it,
 * and for a convolution over a small image (HRNet's low-resolution branches) that transpose
 * costs more than the convolution. In inference the engine hands the same filter tensor to
 * every forward (tfjs-engine keeps it with its parameter), so a filter seen a second time is
 * transposed once on the host and reused. Training makes a new filter tensor per step: it is
 * seen once and costs nothing here. Entries live as long as the filter's data does.
 */
import type * as tf from '@tensorflow/tfjs-core';

// per filter data, per dims it is read in (a tensor could serve as a dense and a depthwise filter)
const seen = new WeakMap<tf.DataId, Map<string, number>>();
const transposed = new WeakMap<tf.DataId, Map<string, Float32Array>>();

/** [d0, d1, d2, d3] → [d3, d2, d0, d1] (the Transpose perm [3, 2, 0, 1]). */
export function toOrtFilter(values: Float32Array, dims: readonly number[]): Float32Array {
  const [a, b, c, d] = dims;
  const out = new Float32Array(values.length);
  let i = 0;
  for (let o = 0; o < d; o++) {
    for (let ci = 0; ci < c; ci++) {
      for (let y = 0; y < a; y++) {
        for (let x = 0; x < b; x++) out[i++] = values[((y * b + x) * c + ci) * d + o];
      }
    }
  }
  return out;
}

/**
 * The filter in onnxruntime's layout when it is worth keeping (its second use), else null:
 * then the model transposes it itself. `read` gives the tfjs values (called once).
 */
export function cachedOrtFilter(dataId: tf.DataId, dims: readonly number[], read: () => Float32Array): Float32Array | null {
  const key = dims.join(',');
  const hit = transposed.get(dataId)?.get(key);
  if (hit) return hit;
  const counts = seen.get(dataId) ?? new Map<string, number>();
  seen.set(dataId, counts);
  const uses = (counts.get(key) ?? 0) + 1;
  counts.set(key, uses);
  if (uses < 2) return null;
  const t = toOrtFilter(read(), dims);
  const kept = transposed.get(dataId) ?? new Map<string, Float32Array>();
  transposed.set(dataId, kept);
  kept.set(key, t);
  return t;
}
