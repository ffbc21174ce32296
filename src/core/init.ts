/**
 * Weight initialisers with PyTorch's formulas (torch.nn.init) and mmengine's init_cfg
 * vocabulary: Kaiming, Normal, Constant, Xavier, Uniform. Pretrained is applied by the
 * model builder (it needs checkpoint I/O), see `apis/build-model`.
 */
import type { Parameter } from './parameter';
import { globalRandom } from './random';

export type Nonlinearity = 'relu' | 'leaky_relu' | 'linear' | 'sigmoid' | 'tanh' | 'conv2d';

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
