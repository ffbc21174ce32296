import { hostTensor } from '../../../core/host-tensor';
import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';

/** Columns [start, start + n) of the last axis. */
export const columns = (t: Tensor, start: number, n: number): Tensor => F.narrow(t, -1, start, n);

/** A float32 constant of the given values and shape. */
export const constF32 = (shape: readonly number[], values: ArrayLike<number>): Tensor =>
  F.constant(hostTensor('float32', shape, Float32Array.from(values)));

/**
 * Image size limits: one (h, w) for all boxes, one per image of a batch, or a [4] tensor of
 * the bounds (w, h, w, h) (an image size that is a graph input: see ImageGeometry).
 */
export type MaxShape = readonly number[] | readonly (readonly number[])[] | Tensor;

/** Whether a MaxShape is a bounds tensor. */
export const isBoundTensor = (m: MaxShape): m is Tensor => !Array.isArray(m);

/**
 * Clamp x1y1x2y2 boxes [..., 4] (or [B, ..., 4] with one shape per image) to x in [0, w],
 * y in [0, h], as mmdetection's `clamp_(min=0, max=...)` does: max with 0, then min with the bound.
 */
export function clipToShape(boxes: Tensor, maxShape: MaxShape): Tensor {
  if (isBoundTensor(maxShape)) return F.minimum(F.maximum(boxes, 0), maxShape);
  const rank = boxes.shape.length;
  const perImage = Array.isArray(maxShape[0]);
  const shapes = (perImage ? maxShape : [maxShape]) as readonly (readonly number[])[];
  if (perImage && shapes.length !== boxes.shape[0]) {
    throw new Error(`clip: ${shapes.length} image shapes for a batch of ${boxes.shape[0]}`);
  }
  const bound = shapes.flatMap((s) => [s[1], s[0], s[1], s[0]]);
  const boundShape = perImage ? [shapes.length, ...new Array(rank - 2).fill(1), 4] : [4];
  return F.minimum(F.maximum(boxes, 0), constF32(boundShape, bound));
}
