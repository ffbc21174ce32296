/** Gradients of reductions and softmax. */
import * as tf from '@tensorflow/tfjs-core';
import { expandReduced, indicator, zeroGrad, type GradDef, type Grads } from './grad-util';

interface ReduceAttrs {
  axis: number | number[];
  keepDims: boolean;
}

/** The reduced axes: Max names them reductionIndices, the other reductions axis. */
const reducedAxes = (attrs: tf.NamedAttrMap) =>
  ((attrs as unknown as ReduceAttrs).axis ?? (attrs as unknown as tf.MaxAttrs).reductionIndices) as number | number[];

/** dy spread back over the reduced axes, times `local` (1 for a sum). */
function spread(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): tf.Tensor {
  return tf.mul(expandReduced(dy, x.shape, axis), tf.ones(x.shape));
}

/** Max and Min: the gradient goes to every element equal to the result (ties share it). */
function extremum(kernelName: string): GradDef {
  return {
    kernelName,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs): Grads => {
      const [x, y] = saved;
      const axis = reducedAxes(attrs);
      const hit = indicator(tf.equal(x, expandReduced(y, x.shape, axis)));
      return { x: () => tf.mul(expandReduced(dy as tf.Tensor, x.shape, axis), hit) };
    },
  };
}

export const REDUCTION_GRADS: GradDef[] = [
  {
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs): Grads => ({
      x: () => spread(dy as tf.Tensor, saved[0], (attrs as unknown as ReduceAttrs).axis),
    }),
  },
  {
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs): Grads => {
      const x = saved[0];
      const axis = (attrs as unknown as ReduceAttrs).axis;
      const count = tf.util.parseAxisParam(axis, x.shape).reduce((n, a) => n * x.shape[a], 1);
      return { x: () => tf.div(spread(dy as tf.Tensor, x, axis), count) };
    },
  },
  extremum(tf.Max),
  extremum(tf.Min),
  {
    kernelName: tf.Softmax,
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs): Grads => {
      const [y] = saved;
      const { dim } = attrs as unknown as tf.SoftmaxAttrs;
      const g = dy as tf.Tensor;
      return { logits: () => tf.mul(y, tf.sub(g, tf.sum(tf.mul(g, y), [dim], true))) };
    },
  },
  { kernelName: tf.ArgMax, inputsToSave: ['x'], gradFunc: (_dy, saved): Grads => ({ x: zeroGrad(saved[0]) }) },
  { kernelName: tf.ArgMin, inputsToSave: ['x'], gradFunc: (_dy, saved): Grads => ({ x: zeroGrad(saved[0]) }) },
];
