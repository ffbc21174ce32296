import * as tf from '@tensorflow/tfjs-core';
import type {
  BinaryOp,
  CompareOp,
  Conv2dOptions,
  ConvTranspose2dOptions,
  Engine,
  NmsOptions,
  Pool2dOptions,
  ReduceOp,
  ResizeOptions,
  RoiAlignOptions,
  UnaryOp,
} from '../../core/engine';
import { hostTensor, type DType, type HostTensor } from '../../core/host-tensor';
import { collectTensors } from '../../core/tensor-container';
import type { Parameter } from '../../core/parameter';
import type { Module } from '../../core/module';
import type { Tensor } from '../../core/tensor';
import { withEngine } from '../../core/engine-context';
import {
  broadcastOperand,
  fromLogical,
  isChannelsLast,
  logicalShape,
  NHWC_AXES,
  permute,
  physicalAxis,
  toLogical,
  toPhysicalOrder,
} from './layout';
import { parameterCache } from './parameter-cache';
import { recordingGradients } from './recording';
import { conv2dNHWC } from './conv2d';
import { convTranspose2dNHWC } from './conv-transpose2d';
import { installTfjsExtensions } from './extensions';
import { gatherRows, HOST_GATHER_MIN_ROW } from './gather-rows';
import { hostNms } from './host-nms';
import { roiAlign } from './roi-align';

/** A tfjs tensor seen through the op layer: logical NCHW shape over NHWC storage (rank 4). */
export class TfTensor implements Tensor {
  readonly shape: readonly number[];
  /** The parameter this tensor is the engine copy of, if any (for derived-value caching). */
  param?: Parameter;
  constructor(readonly t: tf.Tensor) {
    this.shape = logicalShape(t);
  }
  get dtype(): DType {
    return this.t.dtype === 'int32' ? 'int32' : this.t.dtype === 'bool' ? 'bool' : 'float32';
  }
}

const wrap = (t: tf.Tensor): TfTensor => new TfTensor(t);
export const unwrap = (t: Tensor): tf.Tensor => {
  if (!(t instanceof TfTensor)) throw new Error('tensor does not belong to the tfjs engine');
  return t.t;
};

/**
 * Eager TensorFlow.js engine. Differentiable through tfjs's autodiff (parameters are tf
 * variables), so the same forward serves training and inference.
 */
export class TfjsEngine implements Engine {
  readonly name = 'tfjs';
  readonly eager = true;
  private readonly cache = parameterCache();

  constructor() {
    installTfjsExtensions();
  }

  /**
   * Run `fn` and free every tensor it created except those in its result (found as
   * `collectTensors` finds them): tf.tidy for op-layer tensors.
   */
  tidy<T>(fn: () => T): T {
    let result!: T;
    tf.tidy(() => {
      result = fn();
      return tfTensorsIn(result);
    });
    return result;
  }

  /** Free the engine tensors inside `value` now. */
  dispose(value: unknown): void {
    tf.dispose(tfTensorsIn(value));
  }

  get backend(): string {
    return tf.getBackend();
  }

  scope<T>(fn: () => T): T {
    const engine = tf.engine();
    engine.startScope();
    let result: T | undefined;
    try {
      result = fn();
    } finally {
      // tensors reachable from the result survive into the enclosing scope
      engine.endScope(result === undefined ? undefined : tfTensorsIn(result));
    }
    return result;
  }

  // --- data ----------------------------------------------------------------------------
  parameter(p: Parameter): Tensor {
    const t = wrap(this.cache.get(p, () => uploadParameter(p)));
    t.param = p;
    return t;
  }

  /**
   * The tf variable behind a parameter, pinned in the cache: optimisers update it in place
   * and `pull` copies it back to the host.
   */
  variable(p: Parameter): tf.Variable {
    return this.cache.get(p, () => uploadParameter(p), true);
  }

  /**
   * The gradient entry point for training: runs `fn` (op-layer code returning a scalar, e.g. a
   * model's summed `loss` mode) on this engine while recording, and returns its value and the
   * gradient for each named parameter (zeros for one `fn` does not reach). Intermediates are
   * freed; the caller owns the returned tensors.
   */
  valueAndGrads(fn: () => Tensor, params: ReadonlyMap<string, Parameter>): { value: Tensor; grads: Map<string, Tensor> } {
    const names = [...params.keys()];
    const vars = names.map((n) => this.variable(params.get(n)!));
    const out = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => unwrap(withEngine(this, fn)) as tf.Scalar, vars);
      return { value, grads: vars.map((v) => grads[v.name] ?? tf.zerosLike(v)) };
    });
    return { value: wrap(out.value), grads: new Map(names.map((n, i) => [n, wrap(out.grads[i])])) };
  }

  /**
   * Free the engine copies of a module's parameters and buffers now (tfjs memory is not
   * garbage-collected). The module stays usable: values are uploaded again on next use.
   */
  release(m: Module): void {
    for (const [, p] of m.namedState()) this.cache.drop(p);
  }

  /** Copy an engine-side (trained) value back to the parameter's host memory. */
  pull(p: Parameter): void {
    const entry = this.cache.peek(p);
    if (!entry) return;
    const host = this.readSync(wrap(entry.v));
    p.set(p.dtype === 'int64' ? BigInt64Array.from(host.data as Int32Array, (x) => BigInt(x)) : host.data);
    entry.version = p.version;
  }

  /** Copy every engine-side value of a module (trained weights, BN running statistics) back to the host. */
  pullModule(m: Module): void {
    for (const [, p] of m.namedState()) this.pull(p);
  }

  assign(p: Parameter, value: Tensor): void {
    const v = this.variable(p);
    v.assign(tf.cast(unwrap(value), v.dtype));
    // the host copy is refreshed lazily by pull(); mark the cache as authoritative
  }

  constant(t: HostTensor): Tensor {
    return wrap(fromLogical(tensorFromHost(t)));
  }

  scalar(value: number, dtype: DType = 'float32'): Tensor {
    return wrap(tf.scalar(value, dtype === 'float32' ? 'float32' : 'int32'));
  }

  async read(t: Tensor): Promise<HostTensor> {
    const logical = toLogical(unwrap(t));
    const data = await logical.data();
    if (logical !== unwrap(t)) logical.dispose();
    return toHost(t, data);
  }

  readSync(t: Tensor): HostTensor {
    const logical = tf.tidy(() => toLogical(unwrap(t)));
    const data = logical.dataSync();
    if (logical !== unwrap(t)) logical.dispose();
    return toHost(t, data);
  }

  // --- dense ---------------------------------------------------------------------------
  conv2d(x: Tensor, weight: Tensor, bias: Tensor | null, opts: Conv2dOptions): Tensor {
    const y = conv2dNHWC(unwrap(x) as tf.Tensor4D, this.filter(weight), opts);
    return wrap(bias ? tf.add(y, unwrap(bias)) : y);
  }

  convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null, opts: ConvTranspose2dOptions): Tensor {
    // weight [in, out/groups, kh, kw] becomes [kh, kw, out/groups, in]: the filter of the conv it transposes
    const y = convTranspose2dNHWC(unwrap(x) as tf.Tensor4D, this.filter(weight), opts);
    return wrap(bias ? tf.add(y, unwrap(bias)) : y);
  }

  /**
   * A rank-4 weight in tfjs filter order. It is stored NHWC like every rank-4 tensor,
   * [A, kh, kw, B] → [kh, kw, B, A]; in inference the filter is kept with the parameter
   * instead of redone per call.
   */
  private filter(weight: Tensor): tf.Tensor4D {
    const toFilter = (v: tf.Tensor) => tf.transpose(v, [1, 2, 3, 0]);
    const param = (weight as TfTensor).param;
    const cached = param && !recordingGradients() ? this.cache.derived(param, 'filter', toFilter) : null;
    return (cached ?? toFilter(unwrap(weight))) as tf.Tensor4D;
  }

  linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
    const xt = unwrap(x);
    const flat = xt.rank === 2 ? xt : tf.reshape(toLogical(xt), [-1, logicalShape(xt)[xt.rank - 1]]);
    // an explicit transpose: tfjs-wasm's transposed matMul is an order of magnitude slower
    let y: tf.Tensor = tf.matMul(flat as tf.Tensor2D, tf.transpose(unwrap(weight)) as tf.Tensor2D);
    if (bias) y = tf.add(y, unwrap(bias));
    if (xt.rank !== 2) y = fromLogical(tf.reshape(y, [...logicalShape(xt).slice(0, -1), y.shape[1]!]));
    return wrap(y);
  }

  matmul(a: Tensor, b: Tensor): Tensor {
    return wrap(fromLogical(tf.matMul(toLogical(unwrap(a)), toLogical(unwrap(b)))));
  }

  batchNorm(x: Tensor, mean: Tensor, variance: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
    const xt = unwrap(x);
    if (xt.rank !== 4 && xt.rank !== 2) throw new Error(`batch norm expects a 2-D or 4-D input, got rank ${xt.rank}`);
    // channels are the last physical axis for both [N,C] and NHWC. Scale and offset are always
    // passed: tfjs saves every FusedBatchNorm input for the gradient and cannot save a missing one
    const m = unwrap(mean);
    const scale = weight ? unwrap(weight) : tf.onesLike(m);
    const offset = bias ? unwrap(bias) : tf.zerosLike(m);
    return wrap(tf.batchNorm(xt, m, unwrap(variance), offset, scale, eps));
  }

  moments(x: Tensor, axes: readonly number[]) {
    const xt = unwrap(x);
    const m = tf.moments(xt, axes.map((a) => physicalAxis(a, xt.rank)), true);
    // drop the reduced axes the way reduce() does, so what remains is in logical order
    const drop = (t: tf.Tensor) => reduceLogical(t, axes, false, (v, ax) => tf.squeeze(v, ax));
    return { mean: wrap(drop(m.mean)), variance: wrap(drop(m.variance)) };
  }

  groupNorm(x: Tensor, groups: number, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
    const xt = unwrap(x) as tf.Tensor4D;
    const [n, h, w, c] = xt.shape;
    const g = tf.reshape(xt, [n, h, w, groups, c / groups]);
    const { mean, variance } = tf.moments(g, [1, 2, 4], true);
    let y: tf.Tensor = tf.reshape(tf.div(tf.sub(g, mean), tf.sqrt(tf.add(variance, eps))), [n, h, w, c]);
    if (weight) y = tf.mul(y, unwrap(weight));
    if (bias) y = tf.add(y, unwrap(bias));
    return wrap(y);
  }

  // --- elementwise ---------------------------------------------------------------------
  unary(op: UnaryOp, x: Tensor): Tensor {
    const t = unwrap(x);
    const f: Record<UnaryOp, (t: tf.Tensor) => tf.Tensor> = {
      relu: tf.relu,
      sigmoid: tf.sigmoid,
      exp: tf.exp,
      log: tf.log,
      sqrt: tf.sqrt,
      neg: tf.neg,
      abs: tf.abs,
      floor: tf.floor,
      ceil: tf.ceil,
      tanh: tf.tanh,
      softplus: tf.softplus,
    };
    return wrap(f[op](t));
  }

  binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
    const [x, y] = this.aligned(a, b);
    const f: Record<BinaryOp, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
      add: tf.add,
      sub: tf.sub,
      mul: tf.mul,
      // true division as PyTorch's `/` (tf.div floors when both operands are int32)
      div: (p, q) => tf.div(tf.cast(p, 'float32'), tf.cast(q, 'float32')),
      maximum: tf.maximum,
      minimum: tf.minimum,
      pow: tf.pow,
    };
    return wrap(f[op](x, y));
  }

  compare(op: CompareOp, a: Tensor, b: Tensor): Tensor {
    const [x, y] = this.aligned(a, b);
    const f: Record<CompareOp, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
      greater: tf.greater,
      greaterEqual: tf.greaterEqual,
      less: tf.less,
      lessEqual: tf.lessEqual,
      equal: tf.equal,
    };
    return wrap(f[op](x, y));
  }

  where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
    const rank = Math.max(cond.shape.length, a.shape.length, b.shape.length);
    const [c, x, y] = [cond, a, b].map((t) => broadcastOperand(unwrap(t), rank));
    return wrap(selectRows(c, x, y) ?? tf.where(c, x, y));
  }

  clip(x: Tensor, min: number, max: number): Tensor {
    return wrap(tf.clipByValue(unwrap(x), min, max));
  }

  cast(x: Tensor, dtype: DType): Tensor {
    const to = dtype === 'float32' ? 'float32' : dtype === 'bool' ? 'bool' : 'int32';
    const t = unwrap(x);
    // tfjs-wasm's cast to bool keeps the truncated value (2 stays 2, -0.5 becomes 0): nonzero is true
    if (to === 'bool' && t.dtype !== 'bool') return wrap(tf.notEqual(t, tf.scalar(0, t.dtype)));
    return wrap(tf.cast(t, to));
  }

  softmax(x: Tensor, axis: number): Tensor {
    return wrap(alongLastAxis(unwrap(x), axis, (t) => tf.softmax(t)));
  }

  logSoftmax(x: Tensor, axis: number): Tensor {
    // tf.logSoftmax carries its own (stable) gradient through tf.customGrad
    return wrap(alongLastAxis(unwrap(x), axis, (t) => tf.logSoftmax(t)));
  }

  reduce(op: ReduceOp, x: Tensor, axes: readonly number[], keepDims: boolean): Tensor {
    const t = unwrap(x);
    const f = { sum: tf.sum, mean: tf.mean, max: tf.max, min: tf.min }[op];
    return wrap(reduceLogical(t, axes, keepDims, (v, ax, k) => f(v, ax, k)));
  }

  argmax(x: Tensor, axis: number): Tensor {
    const t = unwrap(x);
    return wrap(reduceLogical(t, [axis], false, (v, ax) => tf.argMax(v, ax[0])));
  }

  // --- layout --------------------------------------------------------------------------
  reshape(x: Tensor, shape: readonly number[]): Tensor {
    const t = unwrap(x);
    if (!isChannelsLast(t.rank) && !isChannelsLast(shape.length)) return wrap(tf.reshape(t, [...shape]));
    return wrap(fromLogical(tf.reshape(toLogical(t), [...shape])));
  }

  transpose(x: Tensor, perm: readonly number[]): Tensor {
    return wrap(fromLogical(permute(toLogical(unwrap(x)), perm)));
  }

  concat(xs: readonly Tensor[], axis: number): Tensor {
    const ts = xs.map(unwrap);
    return wrap(tf.concat(ts, physicalAxis(axis, ts[0].rank)));
  }

  slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
    return wrap(tf.slice(unwrap(x), toPhysicalOrder(begin), toPhysicalOrder(size)));
  }

  tile(x: Tensor, reps: readonly number[]): Tensor {
    return wrap(tf.tile(unwrap(x), toPhysicalOrder(reps)));
  }

  // --- spatial -------------------------------------------------------------------------
  resize(x: Tensor, o: ResizeOptions): Tensor {
    const t = unwrap(x) as tf.Tensor4D;
    const size: [number, number] = [o.size[0], o.size[1]];
    if (o.mode === 'nearest') {
      // PyTorch 'nearest': src = floor(dst * in / out) — tfjs without align/half-pixel does the same
      return wrap(tf.image.resizeNearestNeighbor(t, size, false, false));
    }
    return wrap(tf.image.resizeBilinear(t, size, o.alignCorners, !o.alignCorners));
  }

  maxPool2d(x: Tensor, o: Pool2dOptions): Tensor {
    const t = unwrap(x) as tf.Tensor4D;
    // a 1x1 window is a strided subsample; tfjs-wasm's MaxPoolGrad drops most of its gradient
    if (o.kernel[0] === 1 && o.kernel[1] === 1 && o.padding[0] === 0 && o.padding[1] === 0) return wrap(subsample(t, o.stride[0], o.stride[1]));
    const [padB, padR] = ceilExtra(t, o);
    if (o.padding[0] === 0 && o.padding[1] === 0 && padB === 0 && padR === 0) {
      return wrap(tf.maxPool(t, [o.kernel[0], o.kernel[1]], [o.stride[0], o.stride[1]], 'valid'));
    }
    // pad with -inf so padded cells never win, as PyTorch
    const padded = tf.pad(
      t,
      [[0, 0], [o.padding[0], o.padding[0] + padB], [o.padding[1], o.padding[1] + padR], [0, 0]],
      -3.4e38,
    );
    return wrap(tf.maxPool(padded, [o.kernel[0], o.kernel[1]], [o.stride[0], o.stride[1]], 'valid'));
  }

  avgPool2d(x: Tensor, o: Pool2dOptions): Tensor {
    const t = unwrap(x) as tf.Tensor4D;
    const [padB, padR] = ceilExtra(t, o);
    const k: [number, number] = [o.kernel[0], o.kernel[1]];
    const s: [number, number] = [o.stride[0], o.stride[1]];
    if (o.padding[0] === 0 && o.padding[1] === 0 && padB === 0 && padR === 0) {
      return wrap(tf.avgPool(t, k, s, 'valid'));
    }
    const [, h, w] = t.shape;
    const pads: [number, number][] = [[0, 0], [o.padding[0], o.padding[0] + padB], [o.padding[1], o.padding[1] + padR], [0, 0]];
    const sums = tf.mul(tf.avgPool(tf.pad(t, pads), k, s, 'valid'), k[0] * k[1]);
    // divisor: window cells inside the input, plus the explicit padding when counted (never the ceil overhang)
    const inside = o.countIncludePad
      ? tf.pad(tf.ones([1, h + 2 * o.padding[0], w + 2 * o.padding[1], 1]), [[0, 0], [0, padB], [0, padR], [0, 0]])
      : tf.pad(tf.ones([1, h, w, 1]), pads);
    const counts = tf.mul(tf.avgPool(inside as tf.Tensor4D, k, s, 'valid'), k[0] * k[1]);
    return wrap(tf.div(sums, counts));
  }

  globalAvgPool(x: Tensor): Tensor {
    return wrap(tf.mean(unwrap(x), [1, 2], true));
  }

  // --- detection -----------------------------------------------------------------------
  topk(x: Tensor, k: number) {
    const t = toLogical(unwrap(x));
    if (t.size === 0 || k === 0) {
      // tfjs-wasm divides by zero on an empty top-k; the result holds no data anyway
      const shape = [...t.shape.slice(0, -1), k];
      return { values: wrap(fromLogical(tf.zeros(shape, t.dtype))), indices: wrap(fromLogical(tf.zeros(shape, 'int32'))) };
    }
    const r = tf.topk(t, k, true);
    return { values: wrap(fromLogical(r.values)), indices: wrap(fromLogical(r.indices)) };
  }

  gather(x: Tensor, indices: Tensor, axis: number): Tensor {
    const [xt, it] = [unwrap(x), unwrap(indices)];
    const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    // tfjs-wasm gives wrong shapes when gathering from an empty tensor; an empty result needs no data
    if (shape.includes(0)) return wrap(fromLogical(tf.zeros(shape, xt.dtype)));
    // rows of the first axis are rows in either layout: no reordering to the logical one
    if (axis === 0 && it.rank === 1) {
      const rowSize = xt.size / xt.shape[0];
      if (xt.dtype === 'float32' && rowSize >= HOST_GATHER_MIN_ROW) return wrap(gatherRows(xt, Int32Array.from(it.dataSync())));
      return wrap(tf.gather(xt, tf.cast(it, 'int32'), 0));
    }
    return wrap(fromLogical(tf.gather(toLogical(xt), tf.cast(toLogical(it), 'int32'), axis)));
  }

  nms(boxes: Tensor, scores: Tensor, o: NmsOptions): Tensor {
    const b = this.readSync(boxes).data as Float32Array;
    const s = this.readSync(scores).data as Float32Array;
    const keep = hostNms(b, s, o);
    return wrap(tf.tensor1d(keep, 'int32'));
  }

  roiAlign(features: Tensor, rois: Tensor, o: RoiAlignOptions): Tensor {
    const f = unwrap(features) as tf.Tensor4D;
    const r = this.readSync(rois).data as Float32Array;
    return wrap(roiAlign(f, r, o));
  }

  // --- helpers -------------------------------------------------------------------------
  private aligned(a: Tensor, b: Tensor): [tf.Tensor, tf.Tensor] {
    const x = unwrap(a);
    const y = unwrap(b);
    const rank = Math.max(x.rank, y.rank);
    if (x.rank === 4 && y.rank === 4) return [x, y];
    return [broadcastOperand(x, rank), broadcastOperand(y, rank)];
  }
}

/** The tf tensors inside a result: TfTensors and tf tensors anywhere in it (see core's collectTensors). */
function tfTensorsIn(value: unknown): tf.Tensor[] {
  return collectTensors(value, (v): v is TfTensor | tf.Tensor => v instanceof TfTensor || v instanceof tf.Tensor).map((t) => (t instanceof TfTensor ? t.t : t));
}

function uploadParameter(p: Parameter): tf.Tensor {
  return tf.tidy(() => fromLogical(tensorFromHost(p.toHost())));
}

function tensorFromHost(h: HostTensor): tf.Tensor {
  const shape = [...h.shape];
  if (h.data instanceof Float32Array) return tf.tensor(h.data, shape, 'float32');
  if (h.data instanceof BigInt64Array) return tf.tensor(Int32Array.from(h.data, (v) => Number(v)), shape, 'int32');
  if (h.dtype === 'bool') return tf.tensor(h.data, shape, 'bool');
  return tf.tensor(Int32Array.from(h.data as ArrayLike<number>), shape, 'int32');
}

function toHost(t: Tensor, data: tf.TypedArray | string[] | Uint8Array): HostTensor {
  if (data instanceof Float32Array) return hostTensor('float32', t.shape, data);
  if (t.dtype === 'bool') return hostTensor('bool', t.shape, Uint8Array.from(data as Uint8Array));
  return hostTensor('int32', t.shape, Int32Array.from(data as Int32Array));
}

/** Reduce over logical axes; the result is laid out by the usual rank rule. */
function reduceLogical(
  t: tf.Tensor,
  axes: readonly number[],
  keepDims: boolean,
  f: (t: tf.Tensor, axes: number[], keepDims: boolean) => tf.Tensor,
): tf.Tensor {
  if (!isChannelsLast(t.rank)) return f(t, [...axes], keepDims);
  const phys = axes.map((a) => physicalAxis(a, 4));
  const y = f(t, phys, keepDims);
  if (keepDims) return y;
  // remaining physical axes carry logical labels; restore logical order
  const labels = NHWC_AXES.filter((_, i) => !phys.includes(i));
  const order = [...labels].sort((p, q) => p - q).map((l) => labels.indexOf(l));
  const same = order.every((v, i) => v === i);
  const logical = same ? y : tf.transpose(y, order);
  return fromLogical(logical);
}

/** Apply a last-axis-only tfjs op along logical `axis`: move the axis last and back. */
function alongLastAxis(t: tf.Tensor, axis: number, f: (t: tf.Tensor) => tf.Tensor): tf.Tensor {
  const pa = physicalAxis(axis, t.rank);
  if (pa === t.rank - 1) return f(t);
  const perm = [...Array(t.rank).keys()].filter((i) => i !== pa).concat(pa);
  const inv = perm.map((_, i) => perm.indexOf(i));
  return tf.transpose(f(tf.transpose(t, perm)), inv);
}

/** Every s-th row and column from the first (NHWC), through pad / reshape / slice, whose gradients are exact. */
function subsample(t: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  const [n, h, w, c] = t.shape;
  const [oh, ow] = [Math.ceil(h / sh), Math.ceil(w / sw)];
  const padded = tf.pad(t, [[0, 0], [0, oh * sh - h], [0, ow * sw - w], [0, 0]]);
  const blocks = tf.reshape(padded, [n, oh, sh, ow, sw, c]);
  return tf.reshape(tf.slice(blocks, [0, 0, 0, 0, 0, 0], [n, oh, 1, ow, 1, c]), [n, oh, ow, c]);
}

/** Extra bottom/right padding that PyTorch's ceil_mode implies (last window must start inside). */
function ceilExtra(t: tf.Tensor4D, o: Pool2dOptions): [number, number] {
  if (!o.ceilMode) return [0, 0];
  const extra = (size: number, k: number, s: number, p: number) => {
    let out = Math.ceil((size + 2 * p - k) / s) + 1;
    if ((out - 1) * s >= size + p) out--;
    return Math.max(0, (out - 1) * s + k - (size + 2 * p));
  };
  return [extra(t.shape[1], o.kernel[0], o.stride[0], o.padding[0]), extra(t.shape[2], o.kernel[1], o.stride[1], o.padding[1])];
}

/**
 * where(cond, a, b) for a condition that picks whole rows ([N, 1, ..., 1] against a and b of
 * one shape [N, ...]), as the RoI extractor's per-level choice does. tf.where broadcasts the
 * condition with a tile, which on wasm costs far more than the select itself; a broadcasting
 * multiply (a native kernel on every backend) spreads it to the full shape instead. (tfjs's
 * Select kernels take a rank-1 condition of the first dimension too, but the cpu backend's
 * reads the wrong elements for it.) Null when the operands are not of that form.
 */
function selectRows(c: tf.Tensor, x: tf.Tensor, y: tf.Tensor): tf.Tensor | null {
  const n = x.shape[0];
  const rowCondition = c.rank === x.rank && x.rank >= 2 && c.shape[0] === n && c.shape.every((d, i) => i === 0 || d === 1);
  if (!rowCondition || !tf.util.arraysEqual(x.shape, y.shape) || c.size === x.size) return null;
  return tf.tidy(() => {
    const full = tf.notEqual(tf.mul(tf.cast(c, 'float32'), tf.ones(x.shape, 'float32')), tf.scalar(0));
    return tf.where(full, x, y);
  });
}
