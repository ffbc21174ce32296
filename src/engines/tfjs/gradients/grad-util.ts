/**
 * Helpers shared by the gradient definitions. tfjs-core's CommonJS build (the one Node
 * loads) registers no gradients at all: those ship only with the @tensorflow/tfjs bundle,
 * so hrdet defines the gradients of the kernels its engine uses.
 */
import * as tf from '@tensorflow/tfjs-core';

export type Grads = Record<string, () => tf.Tensor>;
export type GradDef = tf.GradConfig;

/** Sum a broadcast result back to the shape of the operand that was broadcast. */
export function sumToShape(t: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes([...shape], t.shape);
  const summed = axes.length > 0 ? tf.sum(t, axes) : t;
  return tf.reshape(summed, [...shape]);
}

/** The gradient of an input through which nothing flows (indices, comparisons, rounding). */
export function zeroGrad(x: tf.Tensor): () => tf.Tensor {
  return () => tf.zeros(x.shape, 'float32');
}

/** 1 where `mask` holds, else 0, as float32. */
export function indicator(mask: tf.Tensor): tf.Tensor {
  return tf.cast(mask, 'float32');
}

/** Swap the last two axes. */
export function swapLast(t: tf.Tensor): tf.Tensor {
  const perm = [...t.shape.keys()];
  [perm[t.rank - 2], perm[t.rank - 1]] = [perm[t.rank - 1], perm[t.rank - 2]];
  return tf.transpose(t, perm);
}

/**
 * a @ b with optional transposes done explicitly: tfjs-wasm's matMul with a transpose flag
 * runs at ~2 GFLOP/s against ~30-40 plain.
 */
export function matMulExplicit(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  return tf.matMul(transposeA ? swapLast(a) : a, transposeB ? swapLast(b) : b);
}

/** The inverse of a permutation. */
export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** dy expanded back over reduced axes (as keepDims would have left it). */
export function expandReduced(dy: tf.Tensor, xShape: readonly number[], axis: number | number[]): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis, [...xShape]);
  return tf.reshape(dy, xShape.map((d, i) => (axes.includes(i) ? 1 : d)));
}
