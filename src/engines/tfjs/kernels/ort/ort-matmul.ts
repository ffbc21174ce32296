/**
 * BatchMatMul (tf.matMul) and _FusedMatMul (tf.fused.matMul) on onnxruntime. A transposed
 * operand gets a Transpose node, which onnxruntime folds into its MatMul; a bias is an Add
 * (numpy broadcasting, as tfjs's), then the activation. Returns null for what it does not
 * cover (non-float or empty operands), for the kernel below.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelArgs } from '../kernel-registry';
import { elementwiseActivation, isFusedActivation } from './fused-activation';
import { OpModel } from './op-model';
import { floats } from './ort-conv';
import { sessionCache } from './session-cache';
import { runSession } from './tensor-exchange';

/** Swap the last two axes. */
function lastTwoSwapped(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

interface MatMulSpec {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
  bias: number[] | null;
  prelu: number[] | null;
  activation: string;
  alpha: number;
  out: number[];
}

function outShape(a: readonly number[], b: readonly number[], ta: boolean, tb: boolean): number[] | null {
  if (a.length < 2 || b.length < 2) return null;
  const m = ta ? a[a.length - 1] : a[a.length - 2];
  const ka = ta ? a[a.length - 2] : a[a.length - 1];
  const kb = tb ? b[b.length - 1] : b[b.length - 2];
  const n = tb ? b[b.length - 2] : b[b.length - 1];
  if (ka !== kb) return null;
  try {
    return [...tf.backend_util.assertAndGetBroadcastShape(a.slice(0, -2), b.slice(0, -2)), m, n];
  } catch {
    return null;
  }
}

function matMulModel(s: MatMulSpec) {
  const m = new OpModel();
  let a = m.input('a', s.a);
  let b = m.input('b', s.b);
  if (s.transposeA) a = m.transpose(a, lastTwoSwapped(s.a.length), s.a);
  if (s.transposeB) b = m.transpose(b, lastTwoSwapped(s.b.length), s.b);
  let y = m.node('MatMul', [a, b], s.out);
  if (s.bias) y = m.node('Add', [y, m.input('bias', s.bias)], s.out);
  if (s.activation === 'prelu') y = m.node('PRelu', [y, m.input('prelu', s.prelu!)], s.out);
  else if (isFusedActivation(s.activation)) y = elementwiseActivation(m, y, s.out, s.activation, s.alpha);
  return m.encode(y);
}

export function ortMatMul(args: KernelArgs, minMacs: number): tf.TensorInfo | null {
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const at = args.attrs ?? {};
  if (!a || !b || !floats(a, b, bias, preluActivationWeights)) return null;
  const transposeA = Boolean(at.transposeA);
  const transposeB = Boolean(at.transposeB);
  const out = outShape(a.shape, b.shape, transposeA, transposeB);
  if (!out) return null;
  const k = transposeA ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1];
  if (out.reduce((x, y) => x * y, 1) * k < minMacs) return null;
  const activation = (at.activation as string | undefined) ?? 'linear';
  if (!isFusedActivation(activation) || (activation === 'prelu' && !preluActivationWeights)) return null;
  const spec: MatMulSpec = {
    a: [...a.shape],
    b: [...b.shape],
    transposeA,
    transposeB,
    bias: bias ? [...bias.shape] : null,
    prelu: activation === 'prelu' ? [...preluActivationWeights!.shape] : null,
    activation,
    alpha: Number(at.leakyreluAlpha ?? 0.2),
    out,
  };
  // the bias and PReLU weights must broadcast to the product, not enlarge it
  for (const extra of [spec.bias, spec.prelu]) {
    if (!extra) continue;
    try {
      const joined = tf.backend_util.assertAndGetBroadcastShape(out, extra);
      if (joined.length !== out.length || joined.some((d, i) => d !== out[i])) return null;
    } catch {
      return null;
    }
  }
  const key = `matmul|${JSON.stringify(spec)}`;
  const model = sessionCache.get(key, () => matMulModel(spec));
  const feeds: Record<string, tf.TensorInfo> = { a, b };
  if (bias) feeds.bias = bias;
  if (spec.prelu) feeds.prelu = preluActivationWeights!;
  return runSession(args.backend as tf.KernelBackend, model, feeds, out);
}
