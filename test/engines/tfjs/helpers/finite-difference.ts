/**
 * Gradient checks of op-layer code on the tfjs engine against central finite differences.
 *
 * The loss is L = sum(f(inputs) * R) with fixed random weights R, so every output element
 * carries a different weight. The analytic gradient comes from tfjs's autodiff; the numeric
 * one perturbs sampled input elements by ±eps, runs the forward again and evaluates L on the
 * host in float64 (only the forward values are float32).
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { withEngine } from '../../../../src/core/engine-context';
import { hostTensor, numel, type HostTensor } from '../../../../src/core/host-tensor';
import { Random } from '../../../../src/core/random';
import type { Tensor } from '../../../../src/core/tensor';
import { TfjsEngine, TfTensor, unwrap } from '../../../../src/engines/tfjs/tfjs-engine';

export interface GradCheck {
  /** the op-layer function under test; inputs arrive as engine tensors (logical NCHW). */
  f: (...xs: Tensor[]) => Tensor;
  inputs: HostTensor[];
  /** indices of the inputs to differentiate (default: every float32 input). */
  wrt?: number[];
  eps?: number;
  atol?: number;
  rtol?: number;
  /** input elements checked per input (all when the input is smaller). */
  samples?: number;
  seed?: number;
}

export function randomHost(shape: readonly number[], seed: number, map: (v: number, i: number) => number = (v) => v): HostTensor {
  const r = new Random(seed);
  const data = r.normalArray(numel(shape)).map((v, i) => map(v, i));
  return hostTensor('float32', shape, data);
}

/** Values whose pairwise gaps are all at least `gap` (for max-like ops: no near ties). */
export function distinctHost(shape: readonly number[], seed: number, gap = 0.05): HostTensor {
  const n = numel(shape);
  const r = new Random(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return hostTensor('float32', shape, Float32Array.from(order, (k) => (k - n / 2) * gap));
}

/** Values at least `margin` away from 0 (the kink of relu, abs). */
export function awayFromZero(shape: readonly number[], seed: number, margin = 0.1): HostTensor {
  return randomHost(shape, seed, (v) => Math.sign(v || 1) * (margin + Math.abs(v)));
}

/** Values at least `margin` away from every integer (the steps of floor, ceil). */
export function awayFromIntegers(shape: readonly number[], seed: number, margin = 0.1): HostTensor {
  return randomHost(shape, seed, (v) => Math.floor(v * 2) + margin + (1 - 2 * margin) * Math.abs(Math.sin(v * 7)));
}

function lossOf(y: Float32Array, weights: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * weights[i];
  return s;
}

/** Run the check; fails the test with the worst element if any gradient is off. */
export function expectGradient(engine: TfjsEngine, c: GradCheck): void {
  const eps = c.eps ?? 1e-2;
  const atol = c.atol ?? 2e-3;
  const rtol = c.rtol ?? 2e-2;
  const wrt = c.wrt ?? c.inputs.map((t, i) => (t.dtype === 'float32' ? i : -1)).filter((i) => i >= 0);
  const rng = new Random(c.seed ?? 11);

  const forward = (inputs: HostTensor[]): HostTensor => {
    let y!: HostTensor;
    tf.tidy(() => {
      y = withEngine(engine, () => engine.readSync(c.f(...inputs.map((h) => engine.constant(h)))));
    });
    return y;
  };

  const y0 = forward(c.inputs);
  const weights = Float64Array.from({ length: numel(y0.shape) }, () => rng.uniform(-1, 1));

  // analytic gradients, read back in logical order
  const analytic: Float32Array[] = [];
  tf.tidy(() => {
    const xs = c.inputs.map((h) => unwrap(engine.constant(h)));
    const r = unwrap(engine.constant(hostTensor('float32', y0.shape, Float32Array.from(weights))));
    const loss = (...ws: tf.Tensor[]) => {
      const all = xs.map((x, i) => (wrt.includes(i) ? ws[wrt.indexOf(i)] : x));
      const y = withEngine(engine, () => c.f(...all.map((x) => new TfTensor(x))));
      return tf.sum(tf.mul(unwrap(y), r)) as tf.Scalar;
    };
    const grads = tf.grads(loss)(wrt.map((i) => xs[i]));
    grads.forEach((g) => analytic.push(engine.readSync(new TfTensor(g)).data as Float32Array));
  });

  wrt.forEach((inputIndex, k) => {
    const base = c.inputs[inputIndex];
    const data = base.data as Float32Array;
    const total = data.length;
    const count = Math.min(total, c.samples ?? 24);
    const picks = count === total ? [...Array(total).keys()] : Array.from({ length: count }, () => Math.floor(rng.next() * total));
    for (const e of picks) {
      const shifted = (delta: number) => {
        const copy = Float32Array.from(data);
        copy[e] += delta;
        const inputs = c.inputs.map((t, i) => (i === inputIndex ? hostTensor('float32', t.shape, copy) : t));
        return lossOf(forward(inputs).data as Float32Array, weights);
      };
      const numeric = (shifted(eps) - shifted(-eps)) / (2 * eps);
      const got = analytic[k][e];
      const tol = atol + rtol * Math.max(Math.abs(numeric), Math.abs(got));
      if (!(Math.abs(numeric - got) <= tol)) {
        expect.fail(`d/d input ${inputIndex} [element ${e}]: autodiff ${got}, finite difference ${numeric} (tolerance ${tol.toExponential(2)})`);
      }
    }
  });
}
