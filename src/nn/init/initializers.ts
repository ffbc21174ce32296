/**
 * Weight initialisers with PyTorch's formulas (torch.nn.init). mmengine's init_cfg vocabulary
 * (Kaiming, Normal, Constant, Xavier, Uniform, TruncNormal, Caffe2Xavier, Pretrained) is
 * interpreted on top of them in `init-cfg.ts`.
 */
import type { Parameter } from '../../core/parameter';
import { globalRandom } from '../../core/random';

export type Nonlinearity =
  | 'relu'
  | 'leaky_relu'
  | 'linear'
  | 'sigmoid'
  | 'tanh'
  | 'selu'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d';

/** Every nonlinearity torch.nn.init.calculate_gain knows. */
export const NONLINEARITIES: readonly Nonlinearity[] = [
  'relu',
  'leaky_relu',
  'linear',
  'sigmoid',
  'tanh',
  'selu',
  'conv1d',
  'conv2d',
  'conv3d',
  'conv_transpose1d',
  'conv_transpose2d',
  'conv_transpose3d',
];

export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) return { fanIn: shape[0] ?? 1, fanOut: shape[0] ?? 1 };
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

export function gain(nonlinearity: Nonlinearity, a = 0): number {
  switch (nonlinearity) {
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu':
      return Math.sqrt(2 / (1 + a * a));
    case 'tanh':
      return 5 / 3;
    case 'selu':
      return 3 / 4;
    default:
      return 1;
  }
}

let skipping = 0;

/**
 * Build without drawing initial weights (they stay zero; BN keeps its identity statistics).
 * For work that never reads weight values, such as shape and FLOP analysis of big models,
 * or when a checkpoint overwrites every weight anyway.
 */
export function withoutInit<T>(fn: () => T): T {
  skipping++;
  try {
    return fn();
  } finally {
    skipping--;
  }
}

function floatData(p: Parameter): Float32Array | null {
  if (skipping > 0) return null;
  if (!(p.data instanceof Float32Array)) throw new Error('random initialisers need a float32 parameter');
  return p.data;
}

export function constantInit(p: Parameter, value: number): void {
  if (skipping > 0) return;
  p.fill(() => value);
}

export function uniform(p: Parameter, lo: number, hi: number): void {
  const d = floatData(p);
  if (!d) return;
  globalRandom().fillUniform(d, lo, hi);
  p.version++;
}

export function normal(p: Parameter, mean: number, std: number): void {
  const d = floatData(p);
  if (!d) return;
  globalRandom().fillNormal(d, mean, std);
  p.version++;
}

export interface KaimingArgs {
  a?: number;
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
  distribution?: 'normal' | 'uniform';
}

export function kaimingStd(shape: readonly number[], args: KaimingArgs): number {
  const { fanIn, fanOut } = fans(shape);
  const fan = (args.mode ?? 'fan_out') === 'fan_in' ? fanIn : fanOut;
  return gain(args.nonlinearity ?? 'relu', args.a ?? 0) / Math.sqrt(fan);
}

export function kaimingUniform(p: Parameter, args: KaimingArgs): void {
  const bound = Math.sqrt(3) * kaimingStd(p.shape, args);
  uniform(p, -bound, bound);
}

export function kaimingNormal(p: Parameter, args: KaimingArgs): void {
  normal(p, 0, kaimingStd(p.shape, args));
}

export function xavier(p: Parameter, g = 1, distribution: 'normal' | 'uniform' = 'normal'): void {
  const { fanIn, fanOut } = fans(p.shape);
  const std = g * Math.sqrt(2 / (fanIn + fanOut));
  if (distribution === 'uniform') uniform(p, -Math.sqrt(3) * std, Math.sqrt(3) * std);
  else normal(p, 0, std);
}

/**
 * N(mean, std) restricted to [a, b] (absolute bounds, as torch.nn.init.trunc_normal_), drawn
 * by redrawing values that fall outside: exactly the truncated distribution. Bounds holding
 * almost none of the distribution are refused rather than looping for ever.
 */
export function truncNormal(p: Parameter, mean: number, std: number, a: number, b: number): void {
  const mass = normalCdf((b - mean) / std) - normalCdf((a - mean) / std);
  if (!(mass >= 1e-4)) {
    throw new Error(`truncated normal: [${a}, ${b}] holds almost none of N(${mean}, ${std}^2) (probability ${mass.toExponential(1)})`);
  }
  const d = floatData(p);
  if (!d) return;
  const rng = globalRandom();
  for (let i = 0; i < d.length; i++) {
    let v = rng.normal(mean, std);
    while (v < a || v > b) v = rng.normal(mean, std);
    d[i] = v;
  }
  p.version++;
}

/** Standard normal CDF through erf (Abramowitz & Stegun 7.1.26, absolute error below 1.5e-7). */
export function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

function erf(x: number): number {
  const s = Math.sign(x);
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return s * (1 - poly * Math.exp(-x * x));
}
