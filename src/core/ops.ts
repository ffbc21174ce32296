/**
 * The op layer seen by model code: small functions in PyTorch's vocabulary that normalise
 * their arguments and dispatch to the active engine. Nothing here knows which engine runs.
 */
import { currentEngine } from './engine-context';
import type { BinaryOp, CompareOp, NmsOptions, Pair, ReduceOp, RoiAlignOptions, UnaryOp } from './engine';
import type { DType, HostTensor } from './host-tensor';
import type { Parameter } from './parameter';
import type { Tensor } from './tensor';

export type IntOrPair = number | readonly [number, number];

export function pair(v: IntOrPair): Pair {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

const e = () => currentEngine();

// --- data ------------------------------------------------------------------------------------
export const param = (p: Parameter): Tensor => e().parameter(p);
export const constant = (t: HostTensor): Tensor => e().constant(t);
export const scalar = (v: number, dtype: DType = 'float32'): Tensor => e().scalar(v, dtype);
/**
 * Copy to the host. Eager engines only: for post-processing that leaves the graph (decoding
 * keypoints, metrics logged beside the losses), never in `tensor`-mode code that is exported.
 */
export const toHost = (t: Tensor): HostTensor => e().readSync(t);
/** True when ops run on data (the tfjs engine), false while tracing a graph: for code that may read values to the host to save work. */
export const isEager = (): boolean => e().eager;

// --- dense -----------------------------------------------------------------------------------
export interface Conv2dArgs {
  stride?: IntOrPair;
  padding?: IntOrPair;
  dilation?: IntOrPair;
  groups?: number;
}

export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null, args: Conv2dArgs = {}): Tensor {
  const groups = args.groups ?? 1;
  const cin = x.shape[1];
  if (x.shape.length !== 4) throw new Error(`conv2d expects a 4-D NCHW input, got [${x.shape.join(',')}]`);
  if (weight.shape[1] * groups !== cin) {
    throw new Error(
      `conv2d: input has ${cin} channels but the weight [${weight.shape.join(',')}] with groups=${groups} expects ${weight.shape[1] * groups}`,
    );
  }
  return e().conv2d(x, weight, bias, {
    stride: pair(args.stride ?? 1),
    padding: pair(args.padding ?? 0),
    dilation: pair(args.dilation ?? 1),
    groups,
  });
}

export interface ConvTranspose2dArgs extends Conv2dArgs {
  outputPadding?: IntOrPair;
}

/** Output length of one axis of a transposed convolution (PyTorch's formula). */
export function convTransposeOutSize(size: number, kernel: number, stride: number, padding: number, dilation: number, outputPadding: number): number {
  return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1;
}

/** F.conv_transpose2d: weight [in, out/groups, kh, kw]; output_padding below stride or dilation. */
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null, args: ConvTranspose2dArgs = {}): Tensor {
  const groups = args.groups ?? 1;
  const where = `conv_transpose2d: input [${x.shape.join(',')}], weight [${weight.shape.join(',')}]`;
  if (x.shape.length !== 4 || weight.shape.length !== 4) throw new Error(`${where}: both must be 4-D`);
  if (weight.shape[0] !== x.shape[1] || x.shape[1] % groups !== 0) {
    throw new Error(`${where}: the weight's first axis must equal the ${x.shape[1]} input channels, divisible by groups=${groups}`);
  }
  const opts = {
    stride: pair(args.stride ?? 1),
    padding: pair(args.padding ?? 0),
    outputPadding: pair(args.outputPadding ?? 0),
    dilation: pair(args.dilation ?? 1),
    groups,
  };
  for (const i of [0, 1]) {
    if (opts.outputPadding[i] >= Math.max(opts.stride[i], opts.dilation[i]) || opts.outputPadding[i] < 0) {
      throw new Error(`${where}: output_padding ${opts.outputPadding[i]} must be smaller than the stride or the dilation`);
    }
    const size = convTransposeOutSize(x.shape[2 + i], weight.shape[2 + i], opts.stride[i], opts.padding[i], opts.dilation[i], opts.outputPadding[i]);
    if (size < 1) throw new Error(`${where}: padding ${opts.padding[i]} leaves no output along axis ${2 + i}`);
  }
  return e().convTranspose2d(x, weight, bias, opts);
}

export const linear = (x: Tensor, w: Tensor, b: Tensor | null): Tensor => e().linear(x, w, b);
export const matmul = (a: Tensor, b: Tensor): Tensor => e().matmul(a, b);

export function batchNorm(
  x: Tensor,
  mean: Tensor,
  variance: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
): Tensor {
  return e().batchNorm(x, mean, variance, weight, bias, eps);
}

export const moments = (x: Tensor, axes: readonly number[]) => e().moments(x, axes);

export function groupNorm(x: Tensor, groups: number, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  if (x.shape[1] % groups !== 0) {
    throw new Error(`group_norm: ${x.shape[1]} channels are not divisible into ${groups} groups`);
  }
  return e().groupNorm(x, groups, weight, bias, eps);
}

// --- elementwise -----------------------------------------------------------------------------
const un = (op: UnaryOp) => (x: Tensor): Tensor => e().unary(op, x);
export const relu = un('relu');
export const sigmoid = un('sigmoid');
export const exp = un('exp');
export const log = un('log');
export const sqrt = un('sqrt');
export const neg = un('neg');
export const abs = un('abs');
export const floor = un('floor');
export const ceil = un('ceil');
export const tanh = un('tanh');
/** log(1 + exp(x)), stable for large |x| (F.softplus with beta 1). */
export const softplus = un('softplus');

type Operand = Tensor | number;
/** A number operand takes its tensor partner's dtype, unless it has a fraction: then float32 (PyTorch promotes). */
function lift(v: Operand, like: Tensor): Tensor {
  if (typeof v !== 'number') return v;
  return e().scalar(v, Number.isInteger(v) ? like.dtype : 'float32');
}
const bin = (op: BinaryOp) => (a: Operand, b: Operand): Tensor => {
  if (typeof a === 'number' && typeof b === 'number') throw new Error(`${op}: at least one operand must be a tensor`);
  const ta = typeof a === 'number' ? lift(a, b as Tensor) : a;
  const tb = typeof b === 'number' ? lift(b, a as Tensor) : b;
  return e().binary(op, ta, tb);
};
export const add = bin('add');
export const sub = bin('sub');
export const mul = bin('mul');
export const div = bin('div');
export const maximum = bin('maximum');
export const minimum = bin('minimum');
export const pow = bin('pow');

const cmp = (op: CompareOp) => (a: Tensor, b: Operand): Tensor => e().compare(op, a, lift(b, a));
export const greater = cmp('greater');
export const greaterEqual = cmp('greaterEqual');
export const less = cmp('less');
export const lessEqual = cmp('lessEqual');
export const equal = cmp('equal');

export const where = (c: Tensor, a: Tensor, b: Tensor): Tensor => e().where(c, a, b);
export const clip = (x: Tensor, min: number, max: number): Tensor => e().clip(x, min, max);
export const cast = (x: Tensor, dtype: DType): Tensor => e().cast(x, dtype);
export const softmax = (x: Tensor, axis = -1): Tensor => e().softmax(x, normAxis(axis, x.shape.length));
export const logSoftmax = (x: Tensor, axis = -1): Tensor => e().logSoftmax(x, normAxis(axis, x.shape.length));
export const argmax = (x: Tensor, axis = -1): Tensor => e().argmax(x, normAxis(axis, x.shape.length));

function reducer(op: ReduceOp) {
  return (x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor => {
    const rank = x.shape.length;
    const list = axes === undefined ? [...Array(rank).keys()] : typeof axes === 'number' ? [axes] : axes;
    return e().reduce(op, x, list.map((a) => normAxis(a, rank)), keepDims);
  };
}
export const sum = reducer('sum');
export const mean = reducer('mean');
export const max = reducer('max');
export const min = reducer('min');

// --- layout ----------------------------------------------------------------------------------
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} is out of range for a rank-${rank} tensor`);
  return a;
}

/** Reshape with PyTorch semantics: one dimension may be -1. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const total = x.shape.reduce((a, b) => a * b, 1);
  const known = shape.reduce((a, b) => (b === -1 ? a : a * b), 1);
  const resolved = shape.map((d) => (d === -1 ? total / known : d));
  const valid = shape.filter((d) => d === -1).length <= 1 && resolved.every((d) => Number.isInteger(d) && d >= 0);
  if (!valid || resolved.reduce((a, b) => a * b, 1) !== total) {
    throw new Error(`cannot reshape [${x.shape.join(',')}] to [${shape.join(',')}]`);
  }
  return e().reshape(x, resolved);
}

export const transpose = (x: Tensor, perm: readonly number[]): Tensor => e().transpose(x, perm);

/** torch.flatten(x, startDim): merge dims startDim.. into one. */
export function flatten(x: Tensor, startDim = 1): Tensor {
  const head = x.shape.slice(0, startDim);
  // explicit size, not -1: flattening an empty batch ([0, C, H, W] → [0, C*H*W]) must work
  return reshape(x, [...head, x.shape.slice(startDim).reduce((a, b) => a * b, 1)]);
}

export function concat(xs: readonly Tensor[], axis = 1): Tensor {
  if (xs.length === 0) throw new Error('concat of an empty list');
  if (xs.length === 1) return xs[0];
  return e().concat(xs, normAxis(axis, xs[0].shape.length));
}

export const slice = (x: Tensor, begin: readonly number[], size: readonly number[]): Tensor =>
  e().slice(x, begin, size.map((s, i) => (s === -1 ? x.shape[i] - begin[i] : s)));

/** Elements [start, end) of one axis. */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const a = normAxis(axis, x.shape.length);
  const begin = x.shape.map((_, i) => (i === a ? start : 0));
  const size = x.shape.map((d, i) => (i === a ? length : d));
  return e().slice(x, begin, size);
}

export const tile = (x: Tensor, reps: readonly number[]): Tensor => e().tile(x, reps);

// --- spatial ---------------------------------------------------------------------------------
export interface InterpolateArgs {
  size?: IntOrPair;
  scaleFactor?: number;
  mode?: 'nearest' | 'bilinear';
  alignCorners?: boolean;
}

/** F.interpolate: output size from `size` or floor(in * scaleFactor). */
export function interpolate(x: Tensor, args: InterpolateArgs): Tensor {
  const [h, w] = [x.shape[2], x.shape[3]];
  let size: Pair;
  if (args.size !== undefined) size = pair(args.size);
  else if (args.scaleFactor !== undefined) size = [Math.floor(h * args.scaleFactor), Math.floor(w * args.scaleFactor)];
  else throw new Error('interpolate needs size or scaleFactor');
  const mode = args.mode ?? 'nearest';
  if (size[0] === h && size[1] === w) return x;
  const alignCorners = mode === 'bilinear' ? args.alignCorners ?? false : false;
  const scaleFactor = args.size === undefined ? args.scaleFactor : undefined;
  return e().resize(x, { size, mode, alignCorners, ...(scaleFactor !== undefined ? { scaleFactor } : {}) });
}

export interface PoolArgs {
  stride?: IntOrPair;
  padding?: IntOrPair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

function poolOpts(kernel: IntOrPair, a: PoolArgs) {
  return {
    kernel: pair(kernel),
    stride: pair(a.stride ?? kernel),
    padding: pair(a.padding ?? 0),
    ceilMode: a.ceilMode ?? false,
    countIncludePad: a.countIncludePad ?? true,
  };
}
export const maxPool2d = (x: Tensor, kernel: IntOrPair, a: PoolArgs = {}): Tensor => e().maxPool2d(x, poolOpts(kernel, a));
export const avgPool2d = (x: Tensor, kernel: IntOrPair, a: PoolArgs = {}): Tensor => e().avgPool2d(x, poolOpts(kernel, a));
export const globalAvgPool = (x: Tensor): Tensor => e().globalAvgPool(x);

// --- detection -------------------------------------------------------------------------------
export const topk = (x: Tensor, k: number) => e().topk(x, Math.min(k, x.shape[x.shape.length - 1]));
export const gather = (x: Tensor, indices: Tensor, axis = 0): Tensor => e().gather(x, indices, normAxis(axis, x.shape.length));

export function nms(boxes: Tensor, scores: Tensor, opts: Partial<NmsOptions> & { iouThreshold: number }): Tensor {
  return e().nms(boxes, scores, { maxOutput: -1, scoreThreshold: -Infinity, ...opts });
}

/** The largest finite float32: a score threshold every finite score passes and -Infinity does not. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * mmcv `batched_nms`: class-aware NMS as one class-agnostic NMS over boxes moved apart per
 * class by `idxs * (max coordinate + 1)`, in float32 as mmcv does, so a pair near the
 * threshold is decided the same way. `idxs` [N] holds each box's class (or level) index.
 * `valid` [N] (bool) marks the candidates when the caller keeps every box in place instead of
 * selecting the candidates first (a selection has a data-dependent size): the others score
 * -Infinity and the max coordinate is taken over the candidates only, so the kept indices
 * are those of the selection, into the full list.
 * (mmcv switches to a per-class loop above 10000 boxes; this always uses the offsets.)
 */
export function batchedNms(
  boxes: Tensor,
  scores: Tensor,
  idxs: Tensor,
  opts: Partial<NmsOptions> & { iouThreshold: number; valid?: Tensor },
): Tensor {
  const { valid, ...nmsOpts } = opts;
  if (boxes.shape[0] === 0) return nms(boxes, scores, nmsOpts);
  let ref = boxes;
  let s = scores;
  if (valid) {
    ref = where(reshape(valid, [-1, 1]), boxes, min(boxes));
    s = where(valid, scores, scalar(-Infinity));
    if ((nmsOpts.scoreThreshold ?? -Infinity) === -Infinity) nmsOpts.scoreThreshold = -FLOAT32_MAX;
  }
  const offsets = mul(cast(idxs, 'float32'), add(max(ref), 1));
  return nms(add(boxes, reshape(offsets, [-1, 1])), s, nmsOpts);
}

export function roiAlign(
  features: Tensor,
  rois: Tensor,
  opts: Partial<RoiAlignOptions> & { outputSize: IntOrPair; spatialScale: number },
): Tensor {
  return e().roiAlign(features, rois, {
    samplingRatio: 0,
    aligned: true,
    mode: 'avg',
    ...opts,
    outputSize: pair(opts.outputSize),
  });
}
