import * as tf from '@tensorflow/tfjs-core';

/** Rows this long and longer are gathered on the host (see `gatherRows`). */
export const HOST_GATHER_MIN_ROW = 256;

/**
 * x[indices] along the first axis for float32 tensors with long rows (RoI features
 * [R, 7, 7, 256], mask features), as one copy per row on the host. tfjs-wasm's Gather kernel
 * computes the source of every element separately, which for the RoI extractor's reordering
 * of 25 million values took seconds; whole-row copies take milliseconds. The gradient adds
 * each row of dy back into the row it came from (rows picked twice get both).
 */
export function gatherRows(x: tf.Tensor, indices: Int32Array): tf.Tensor {
  const n = x.shape[0];
  const row = n === 0 ? 0 : x.size / n;
  for (const r of indices) {
    if (!(r >= 0 && r < n)) throw new Error(`gather: index ${r} is out of range for a first dimension of ${n}`);
  }
  const op = tf.customGrad((input) => {
    const data = (input as tf.Tensor).dataSync() as Float32Array;
    const out = new Float32Array(indices.length * row);
    indices.forEach((r, k) => out.set(data.subarray(r * row, (r + 1) * row), k * row));
    const gradFunc = (dy: tf.Tensor) => {
      const g = dy.dataSync() as Float32Array;
      const dx = new Float32Array(x.size);
      indices.forEach((r, k) => {
        const [to, from] = [r * row, k * row];
        for (let j = 0; j < row; j++) dx[to + j] += g[from + j];
      });
      return tf.tensor(dx, x.shape, 'float32');
    };
    return { value: tf.tensor(out, [indices.length, ...x.shape.slice(1)], 'float32'), gradFunc };
  });
  return op(x);
}
