/** Gradients of elementwise kernels: unary math, binary math with broadcasting, selection. */
import * as tf from '@tensorflow/tfjs-core';
import { indicator, sumToShape, zeroGrad, type GradDef, type Grads } from './grad-util';

/** A unary kernel whose gradient is dy * f(x) (or of its output y when `fromOutput`). */
function unary(kernelName: string, local: (t: tf.Tensor) => tf.Tensor, fromOutput = false): GradDef {
  return {
    kernelName,
    inputsToSave: fromOutput ? [] : ['x'],
    outputsToSave: fromOutput ? [true] : [],
    gradFunc: (dy, saved): Grads => ({ x: () => tf.mul(dy as tf.Tensor, local(saved[0])) }),
  };
}

/** Kernels whose output is piecewise constant in x, or not a number at all. */
function constant(kernelName: string, inputs: string[]): GradDef {
  return {
    kernelName,
    inputsToSave: inputs,
    gradFunc: (_dy, saved): Grads => Object.fromEntries(inputs.map((name, i) => [name, zeroGrad(saved[i])])),
  };
}

/** A binary kernel with broadcasting: each local gradient is summed back to its operand's shape. */
function binary(
  kernelName: string,
  da: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor, y: tf.Tensor) => tf.Tensor,
  db: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor, y: tf.Tensor) => tf.Tensor,
  saveOutput = false,
): GradDef {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    outputsToSave: saveOutput ? [true] : [],
    gradFunc: (dy, saved): Grads => {
      const [a, b, y] = saved;
      const g = dy as tf.Tensor;
      return {
        a: () => sumToShape(da(g, a, b, y), a.shape),
        b: () => sumToShape(db(g, a, b, y), b.shape),
      };
    },
  };
}

const f32 = (t: tf.Tensor) => tf.cast(t, 'float32');

export const ELEMENTWISE_GRADS: GradDef[] = [
  unary(tf.Abs, (x) => tf.sign(f32(x))),
  unary(tf.Relu, (x) => tf.step(f32(x))),
  unary(tf.Sigmoid, (y) => tf.mul(y, tf.sub(1, y)), true),
  unary(tf.Exp, (y) => y, true),
  unary(tf.Log, (x) => tf.reciprocal(f32(x))),
  unary(tf.Sqrt, (y) => tf.div(0.5, y), true),
  unary(tf.Rsqrt, (y) => tf.mul(-0.5, tf.pow(y, 3)), true),
  unary(tf.Softplus, (x) => tf.sigmoid(f32(x))),
  unary(tf.Tanh, (y) => tf.sub(1, tf.square(y)), true),
  unary(tf.Square, (x) => tf.mul(2, f32(x))),
  unary(tf.Reciprocal, (x) => tf.neg(tf.reciprocal(tf.square(f32(x))))),
  { kernelName: tf.Neg, gradFunc: (dy): Grads => ({ x: () => tf.neg(dy as tf.Tensor) }) },
  {
    kernelName: tf.Cast,
    inputsToSave: ['x'],
    gradFunc: (dy, saved): Grads => ({
      x: () => (saved[0].dtype === 'float32' ? tf.clone(dy as tf.Tensor) : tf.zeros(saved[0].shape)),
    }),
  },
  { kernelName: tf.Identity, gradFunc: (dy): Grads => ({ x: () => tf.clone(dy as tf.Tensor) }) },
  {
    kernelName: tf.ClipByValue,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs): Grads => {
      const { clipValueMin, clipValueMax } = attrs as unknown as tf.ClipByValueAttrs;
      const x = saved[0];
      const inside = tf.logicalAnd(tf.greaterEqual(x, clipValueMin), tf.lessEqual(x, clipValueMax));
      return { x: () => tf.mul(dy as tf.Tensor, indicator(inside)) };
    },
  },
  ...[tf.Floor, tf.Ceil, tf.Round, tf.Sign, tf.Step, tf.LogicalNot, tf.IsNan].map((k) => constant(k, ['x'])),
  ...[tf.Greater, tf.GreaterEqual, tf.Less, tf.LessEqual, tf.Equal, tf.NotEqual, tf.LogicalAnd, tf.LogicalOr].map((k) =>
    constant(k, ['a', 'b']),
  ),
  binary(tf.Add, (dy) => dy, (dy) => dy),
  binary(tf.Sub, (dy) => dy, (dy) => tf.neg(dy)),
  binary(tf.Multiply, (dy, _a, b) => tf.mul(dy, f32(b)), (dy, a) => tf.mul(dy, f32(a))),
  binary(
    tf.RealDiv,
    (dy, _a, b) => tf.div(dy, b),
    (dy, a, b) => tf.neg(tf.div(tf.mul(dy, a), tf.square(b))),
  ),
  // ties send the gradient to a (as tfjs and TensorFlow do)
  binary(
    tf.Maximum,
    (dy, a, b) => tf.mul(dy, indicator(tf.greaterEqual(a, b))),
    (dy, a, b) => tf.mul(dy, indicator(tf.less(a, b))),
  ),
  binary(
    tf.Minimum,
    (dy, a, b) => tf.mul(dy, indicator(tf.lessEqual(a, b))),
    (dy, a, b) => tf.mul(dy, indicator(tf.greater(a, b))),
  ),
  binary(
    tf.Pow,
    (dy, a, b) => tf.mul(dy, tf.mul(b, tf.pow(a, tf.sub(b, 1)))),
    // d/db a^b = a^b log a, defined here as 0 where a <= 0
    (dy, a, _b, y) => {
      const positive = tf.greater(a, 0);
      const logA = tf.where(positive, tf.log(tf.where(positive, a, tf.onesLike(a))), tf.zerosLike(a));
      return tf.mul(dy, tf.mul(y, logA));
    },
    true,
  ),
  binary(
    tf.SquaredDifference,
    (dy, a, b) => tf.mul(dy, tf.mul(2, tf.sub(a, b))),
    (dy, a, b) => tf.mul(dy, tf.mul(-2, tf.sub(a, b))),
  ),
  {
    kernelName: tf.AddN,
    saveAllInputs: true,
    gradFunc: (dy, saved): Grads => Object.fromEntries(saved.map((_, i) => [String(i), () => tf.clone(dy as tf.Tensor)])),
  },
  {
    kernelName: tf.Select,
    inputsToSave: ['condition'],
    gradFunc: (dy, saved): Grads => {
      const [cond] = saved;
      const g = dy as tf.Tensor;
      return {
        condition: zeroGrad(cond),
        t: () => tf.mul(g, indicator(cond)),
        e: () => tf.mul(g, indicator(tf.logicalNot(cond))),
      };
    },
  },
];
