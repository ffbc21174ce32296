/** Gradients of kernels that move data without computing: reshape, transpose, slicing, joins, gather. */
import * as tf from '@tensorflow/tfjs-core';
import { inversePerm, zeroGrad, type GradDef, type Grads } from './grad-util';

/** Gradient of GatherV2 along `axis` (batchDims 0): scatter-add dy rows back by index. */
function gatherGrad(dy: tf.Tensor, x: tf.Tensor, indices: tf.Tensor, axis: number): tf.Tensor {
  const outer = x.shape.slice(0, axis);
  const inner = x.shape.slice(axis + 1);
  const rank = indices.rank;
  const front = (t: tf.Tensor, perm: number[]) => (perm.every((p, i) => p === i) ? t : tf.transpose(t, perm));
  // dy is [...outer, ...indices.shape, ...inner]: bring the index axes to the front
  const toFront = [
    ...Array.from({ length: rank }, (_, i) => axis + i),
    ...outer.map((_, i) => i),
    ...inner.map((_, i) => axis + rank + i),
  ];
  const rows = tf.reshape(front(dy, toFront), [indices.size, ...outer, ...inner]);
  const ids = tf.reshape(tf.cast(indices, 'int32'), [indices.size]);
  const summed = tf.unsortedSegmentSum(rows, ids as tf.Tensor1D, x.shape[axis]);
  // [n, ...outer, ...inner] → [...outer, n, ...inner]
  const back = [...outer.map((_, i) => i + 1), 0, ...inner.map((_, i) => outer.length + 1 + i)];
  return front(summed, back);
}

export const LAYOUT_GRADS: GradDef[] = [
  {
    kernelName: tf.Reshape,
    inputsToSave: ['x'],
    gradFunc: (dy, saved): Grads => ({ x: () => tf.reshape(dy as tf.Tensor, saved[0].shape) }),
  },
  {
    kernelName: tf.ExpandDims,
    inputsToSave: ['input'],
    gradFunc: (dy, saved): Grads => ({ input: () => tf.reshape(dy as tf.Tensor, saved[0].shape) }),
  },
  {
    kernelName: tf.Transpose,
    gradFunc: (dy, _saved, attrs): Grads => ({
      x: () => tf.transpose(dy as tf.Tensor, inversePerm((attrs as unknown as tf.TransposeAttrs).perm)),
    }),
  },
  {
    kernelName: tf.Reverse,
    gradFunc: (dy, _saved, attrs): Grads => ({
      x: () => tf.reverse(dy as tf.Tensor, (attrs as unknown as tf.ReverseAttrs).dims),
    }),
  },
  {
    kernelName: tf.Concat,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs): Grads => {
      const axis = tf.util.parseAxisParam((attrs as unknown as tf.ConcatAttrs).axis, saved[0].shape)[0];
      const parts = tf.split(dy as tf.Tensor, saved.map((t) => t.shape[axis]), axis);
      return Object.fromEntries(parts.map((p, i) => [String(i), () => p]));
    },
  },
  {
    kernelName: tf.SplitV,
    gradFunc: (dy, _saved, attrs): Grads => ({
      x: () => tf.concat(dy as tf.Tensor[], (attrs as unknown as tf.SplitVAttrs).axis),
    }),
  },
  {
    kernelName: tf.Pack,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs): Grads => {
      const parts = tf.unstack(dy as tf.Tensor, (attrs as unknown as tf.PackAttrs).axis);
      return Object.fromEntries(saved.map((_, i) => [String(i), () => parts[i]]));
    },
  },
  {
    kernelName: tf.Unpack,
    gradFunc: (dy, _saved, attrs): Grads => ({
      value: () => tf.stack(dy as tf.Tensor[], (attrs as unknown as tf.UnpackAttrs).axis),
    }),
  },
  {
    kernelName: tf.Slice,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs): Grads => {
      const x = saved[0];
      const a = attrs as unknown as tf.SliceAttrs;
      const [begin, size] = tf.slice_util.parseSliceParams(x, a.begin, a.size);
      const pads = x.shape.map((d, i): [number, number] => [begin[i], d - begin[i] - size[i]]);
      return { x: () => tf.pad(dy as tf.Tensor, pads) };
    },
  },
  {
    kernelName: tf.PadV2,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs): Grads => {
      const x = saved[0];
      const begin = (attrs as unknown as tf.PadV2Attrs).paddings.map((p) => p[0]);
      return { x: () => tf.slice(dy as tf.Tensor, begin, x.shape) };
    },
  },
  {
    kernelName: tf.Tile,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs): Grads => {
      const x = saved[0];
      const reps = (attrs as unknown as tf.TileAttrs).reps;
      // dy[r * n + j] along each axis: split every axis into (repeat, element) and sum the repeats
      const split = x.shape.flatMap((d, i) => [reps[i], d]);
      const repeatAxes = x.shape.map((_, i) => 2 * i);
      return { x: () => tf.reshape(tf.sum(tf.reshape(dy as tf.Tensor, split), repeatAxes), x.shape) };
    },
  },
  {
    kernelName: tf.GatherV2,
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, saved, attrs): Grads => {
      const [x, indices] = saved;
      const a = attrs as unknown as tf.GatherV2Attrs;
      if ((a.batchDims ?? 0) !== 0) throw new Error('the gradient of gather supports batchDims = 0 only');
      const axis = tf.util.parseAxisParam(a.axis, x.shape)[0];
      return { x: () => gatherGrad(dy as tf.Tensor, x, indices, axis), indices: zeroGrad(indices) };
    },
  },
  ...[tf.ZerosLike, tf.OnesLike].map(
    (kernelName): GradDef => ({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (_dy, saved): Grads => ({ x: zeroGrad(saved[0]) }),
    }),
  ),
];
