/**
 * Layout rules of the tfjs engine. Every rank-4 tensor is stored channels-last (NHWC),
 * because that is what tfjs's convolution, pooling and resize kernels take; every other
 * rank is stored in its logical order. Model code only ever sees logical (NCHW) shapes.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Logical axis held at each physical position of an NHWC tensor. */
export const NHWC_AXES = [0, 2, 3, 1] as const;
/** Physical position of each logical axis of an NHWC tensor. */
export const LOGICAL_TO_PHYSICAL = [0, 3, 1, 2] as const;

export function isChannelsLast(rank: number): boolean {
  return rank === 4;
}

/** Logical NCHW shape of a physical tensor. */
export function logicalShape(t: tf.Tensor): number[] {
  const s = t.shape;
  return isChannelsLast(s.length) ? [s[0], s[3]!, s[1]!, s[2]!] : [...s];
}

/** Reorder logical per-axis values (begin, size, ...) into physical order. */
export function toPhysicalOrder<T>(values: readonly T[]): T[] {
  return isChannelsLast(values.length) ? NHWC_AXES.map((a) => values[a]) : [...values];
}

export function physicalAxis(axis: number, rank: number): number {
  return isChannelsLast(rank) ? LOGICAL_TO_PHYSICAL[axis] : axis;
}

/**
 * tf.transpose that survives empty tensors: tfjs-wasm divides by zero transposing some of
 * them (e.g. [0,7,7,3]); an empty tensor has no data to move, so a reshape is the same.
 */
export function permute(t: tf.Tensor, perm: readonly number[]): tf.Tensor {
  if (t.size === 0) return tf.reshape(t, perm.map((p) => t.shape[p]));
  return tf.transpose(t, [...perm]);
}

/** Physical tensor → tf tensor in logical (NCHW) order. */
export function toLogical(t: tf.Tensor): tf.Tensor {
  return isChannelsLast(t.rank) ? permute(t, [0, 3, 1, 2]) : t;
}

/** tf tensor in logical order → physical storage. */
export function fromLogical(t: tf.Tensor): tf.Tensor {
  return isChannelsLast(t.rank) ? permute(t, [0, 2, 3, 1]) : t;
}

/**
 * Bring a broadcasting operand to the physical layout of a rank-4 partner: its logical shape
 * is left-padded to rank 4 and laid out NHWC, so NumPy broadcasting stays correct.
 */
export function broadcastOperand(t: tf.Tensor, partnerRank: number): tf.Tensor {
  if (!isChannelsLast(partnerRank) || isChannelsLast(t.rank) || t.rank === 0) return t;
  const s = [...Array(4 - t.rank).fill(1), ...t.shape];
  const physical = [s[0], s[2], s[3], s[1]];
  // With at most one of C, H, W above 1 the reorder moves no data: a reshape is enough.
  const moving = [s[1], s[2], s[3]].filter((d) => d > 1).length;
  if (moving <= 1) return tf.reshape(t, physical);
  return permute(tf.reshape(t, s), [0, 2, 3, 1]);
}
