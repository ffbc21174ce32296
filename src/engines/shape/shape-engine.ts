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
import { UserError } from '../../core/errors';
import { numel, shapeString, type DType, type HostTensor } from '../../core/host-tensor';
import type { Parameter } from '../../core/parameter';
import { convTransposeOutSize } from '../../core/ops';
import type { Tensor } from '../../core/tensor';

/** A tensor of the shape engine: a shape and a dtype, no data. */
export class ShapeTensor implements Tensor {
  readonly shape: readonly number[];
  constructor(
    shape: readonly number[],
    readonly dtype: DType = 'float32',
  ) {
    this.shape = [...shape];
  }
}

/** Ops whose multiply-accumulates are counted (the HRNet papers' convention). */
export type CountedOp = 'conv2d' | 'conv_transpose2d' | 'linear' | 'matmul';

/** What the shape engine reports while a model runs on it. */
export interface ShapeEngineListener {
  /** Multiply-accumulates of one conv2d/linear/matmul call (bias excluded). */
  macs?(op: CountedOp, macs: number): void;
  /** An op whose output shape depends on data; `shape` is the upper bound that was returned. */
  dataDependent?(op: string, shape: readonly number[]): void;
}

/**
 * A shape is impossible (an input too small for a kernel, mismatched channels, ...):
 * usually a `--shape` the model cannot take.
 */
export class ShapeError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

/** The model asked for tensor values, which the shape engine does not have. */
export class NoDataError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'NoDataError';
  }
}

const shapeOf = (t: Tensor): readonly number[] => t.shape;

/**
 * The third engine: runs a model's forward on shapes only. It computes every op's output
 * shape, counts multiply-accumulates of conv2d, conv_transpose2d, linear and matmul, and allocates nothing,
 * so analysing the biggest HRNet costs milliseconds.
 *
 * Data-dependent ops: `topk`, `gather` and `roiAlign` have shapes fixed by their inputs and
 * are exact. `nms` keeps a data-dependent number of boxes: it returns the upper bound
 * (every box, or `maxOutput`) and reports it through `listener.dataDependent`, so an
 * analysis can say it is partial. Reading values (`read`/`readSync`) is impossible and
 * throws NoDataError.
 */
export class ShapeEngine implements Engine {
  readonly name = 'shape';
  readonly eager = false;

  /** Symbolic values own no memory: a scope is just the call. */
  scope<T>(fn: () => T): T {
    return fn();
  }
  /** Total multiply-accumulates counted since construction (or the last `reset`). */
  macs = 0;

  constructor(public listener: ShapeEngineListener = {}) {}

  reset(): void {
    this.macs = 0;
  }

  /** An input of the given shape (no data). */
  input(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new ShapeError(`invalid tensor shape ${shapeString(shape)}`);
    }
    return new ShapeTensor(shape, dtype);
  }

  private count(op: CountedOp, macs: number): void {
    this.macs += macs;
    this.listener.macs?.(op, macs);
  }

  // --- data ----------------------------------------------------------------------------
  parameter(p: Parameter): Tensor {
    return new ShapeTensor(p.shape, p.dtype);
  }

  constant(t: HostTensor): Tensor {
    return new ShapeTensor(t.shape, t.dtype);
  }

  scalar(_value: number, dtype: DType = 'float32'): Tensor {
    return new ShapeTensor([], dtype);
  }

  read(t: Tensor): Promise<HostTensor> {
    return Promise.reject(this.noData(t));
  }

  readSync(t: Tensor): HostTensor {
    throw this.noData(t);
  }

  private noData(t: Tensor): NoDataError {
    return new NoDataError(
      `the model reads the values of a ${shapeString(shapeOf(t))} tensor, which a shape-only analysis does not have; analyse a part of the model that does not read tensor values`,
    );
  }

  assign(p: Parameter, value: Tensor): void {
    if (numel(value.shape) !== p.numel) {
      throw new ShapeError(`cannot assign a ${shapeString(value.shape)} value to a parameter of shape ${shapeString(p.shape)}`);
    }
  }

  // --- dense ---------------------------------------------------------------------------
  conv2d(x: Tensor, weight: Tensor, bias: Tensor | null, o: Conv2dOptions): Tensor {
    const [n, cin, h, w] = rank4(x, 'conv2d');
    const [cout, cinPerGroup, kh, kw] = weight.shape;
    if (weight.shape.length !== 4 || cinPerGroup * o.groups !== cin) {
      throw new ShapeError(`conv2d: input ${shapeString(x.shape)} does not fit weight ${shapeString(weight.shape)} with groups=${o.groups}`);
    }
    if (bias && numel(bias.shape) !== cout) {
      throw new ShapeError(`conv2d: bias ${shapeString(bias.shape)} does not fit ${cout} output channels`);
    }
    const oh = convOut(h, kh, o.stride[0], o.padding[0], o.dilation[0]);
    const ow = convOut(w, kw, o.stride[1], o.padding[1], o.dilation[1]);
    if (oh < 1 || ow < 1) {
      throw new ShapeError(
        `conv2d: a ${h}x${w} input is too small for a ${kh}x${kw} kernel (stride ${o.stride.join('x')}, padding ${o.padding.join('x')}, dilation ${o.dilation.join('x')})`,
      );
    }
    this.count('conv2d', n * cout * cinPerGroup * kh * kw * oh * ow);
    return new ShapeTensor([n, cout, oh, ow], x.dtype);
  }

  /**
   * MACs as fvcore / mmengine's FlopAnalyzer (and mmcv's deconv hook, less its bias term) count a
   * transposed convolution: in × out/groups × kh × kw per input position. Reported on its own
   * (`conv_transpose2d`); those analysers file it under their 'conv'.
   */
  convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null, o: ConvTranspose2dOptions): Tensor {
    const [n, cin, h, w] = rank4(x, 'conv_transpose2d');
    const [win, outPerGroup, kh, kw] = weight.shape;
    if (weight.shape.length !== 4 || win !== cin || cin % o.groups !== 0) {
      throw new ShapeError(`conv_transpose2d: input ${shapeString(x.shape)} does not fit weight ${shapeString(weight.shape)} with groups=${o.groups}`);
    }
    const cout = outPerGroup * o.groups;
    if (bias && numel(bias.shape) !== cout) {
      throw new ShapeError(`conv_transpose2d: bias ${shapeString(bias.shape)} does not fit ${cout} output channels`);
    }
    const size = (d: number, i: 0 | 1, k: number) => convTransposeOutSize(d, k, o.stride[i], o.padding[i], o.dilation[i], o.outputPadding[i]);
    const [oh, ow] = [size(h, 0, kh), size(w, 1, kw)];
    if (oh < 1 || ow < 1) throw new ShapeError(`conv_transpose2d: padding ${o.padding.join('x')} leaves no output for a ${h}x${w} input`);
    this.count('conv_transpose2d', n * cin * outPerGroup * kh * kw * h * w);
    return new ShapeTensor([n, cout, oh, ow], x.dtype);
  }

  linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
    const [out, inF] = weight.shape;
    const last = x.shape[x.shape.length - 1];
    if (weight.shape.length !== 2 || x.shape.length < 1 || last !== inF) {
      throw new ShapeError(`linear: input ${shapeString(x.shape)} does not fit weight ${shapeString(weight.shape)}`);
    }
    if (bias && numel(bias.shape) !== out) {
      throw new ShapeError(`linear: bias ${shapeString(bias.shape)} does not fit ${out} outputs`);
    }
    const rows = numel(x.shape.slice(0, -1));
    this.count('linear', rows * inF * out);
    return new ShapeTensor([...x.shape.slice(0, -1), out], x.dtype);
  }

  matmul(a: Tensor, b: Tensor): Tensor {
    if (a.shape.length < 2 || b.shape.length < 2) {
      throw new ShapeError(`matmul needs operands of rank 2 or more, got ${shapeString(a.shape)} and ${shapeString(b.shape)}`);
    }
    const [m, k] = a.shape.slice(-2);
    const [k2, n] = b.shape.slice(-2);
    if (k !== k2) throw new ShapeError(`matmul: ${shapeString(a.shape)} x ${shapeString(b.shape)} (inner sizes differ)`);
    const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
    this.count('matmul', numel(batch) * m * k * n);
    return new ShapeTensor([...batch, m, n], a.dtype);
  }

  batchNorm(x: Tensor, mean: Tensor, variance: Tensor, weight: Tensor | null, bias: Tensor | null): Tensor {
    const c = x.shape[1];
    for (const t of [mean, variance, weight, bias]) {
      if (t && numel(t.shape) !== c) throw new ShapeError(`batch norm: statistics ${shapeString(t.shape)} do not fit input ${shapeString(x.shape)}`);
    }
    return x;
  }

  moments(x: Tensor, axes: readonly number[]) {
    const shape = x.shape.filter((_, i) => !axes.includes(i));
    return { mean: new ShapeTensor(shape, x.dtype), variance: new ShapeTensor(shape, x.dtype) };
  }

  groupNorm(x: Tensor, groups: number): Tensor {
    if (x.shape[1] % groups !== 0) throw new ShapeError(`group norm: ${x.shape[1]} channels are not divisible into ${groups} groups`);
    return x;
  }

  // --- elementwise ---------------------------------------------------------------------
  unary(_op: UnaryOp, x: Tensor): Tensor {
    return new ShapeTensor(x.shape, x.dtype);
  }

  binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
    return new ShapeTensor(broadcastShapes(op, a.shape, b.shape), a.dtype);
  }

  compare(op: CompareOp, a: Tensor, b: Tensor): Tensor {
    return new ShapeTensor(broadcastShapes(op, a.shape, b.shape), 'bool');
  }

  where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
    return new ShapeTensor(broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape), a.dtype);
  }

  clip(x: Tensor): Tensor {
    return new ShapeTensor(x.shape, x.dtype);
  }

  cast(x: Tensor, dtype: DType): Tensor {
    return new ShapeTensor(x.shape, dtype);
  }

  softmax(x: Tensor, axis: number): Tensor {
    checkAxis('softmax', axis, x.shape.length);
    return new ShapeTensor(x.shape, x.dtype);
  }

  logSoftmax(x: Tensor, axis: number): Tensor {
    checkAxis('log_softmax', axis, x.shape.length);
    return new ShapeTensor(x.shape, x.dtype);
  }

  reduce(op: ReduceOp, x: Tensor, axes: readonly number[], keepDims: boolean): Tensor {
    for (const a of axes) checkAxis(op, a, x.shape.length);
    const shape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    return new ShapeTensor(shape, x.dtype);
  }

  argmax(x: Tensor, axis: number): Tensor {
    checkAxis('argmax', axis, x.shape.length);
    return new ShapeTensor(x.shape.filter((_, i) => i !== axis), 'int32');
  }

  // --- layout --------------------------------------------------------------------------
  reshape(x: Tensor, shape: readonly number[]): Tensor {
    const total = numel(x.shape);
    const known = shape.reduce((acc, d) => (d === -1 ? acc : acc * d), 1);
    const resolved = shape.map((d) => (d === -1 ? total / known : d));
    if (numel(resolved) !== total || !resolved.every(Number.isInteger)) {
      throw new ShapeError(`cannot reshape ${shapeString(x.shape)} to ${shapeString(shape)}`);
    }
    return new ShapeTensor(resolved, x.dtype);
  }

  transpose(x: Tensor, perm: readonly number[]): Tensor {
    const sorted = [...perm].sort((p, q) => p - q);
    if (perm.length !== x.shape.length || sorted.some((v, i) => v !== i)) {
      throw new ShapeError(`transpose: ${shapeString(perm)} is not a permutation of the axes of ${shapeString(x.shape)}`);
    }
    return new ShapeTensor(perm.map((p) => x.shape[p]), x.dtype);
  }

  concat(xs: readonly Tensor[], axis: number): Tensor {
    const first = xs[0].shape;
    checkAxis('concat', axis, first.length);
    let size = 0;
    for (const t of xs) {
      if (t.shape.length !== first.length || t.shape.some((d, i) => i !== axis && d !== first[i])) {
        throw new ShapeError(`concat along axis ${axis}: ${xs.map((u) => shapeString(u.shape)).join(', ')} do not fit`);
      }
      size += t.shape[axis];
    }
    return new ShapeTensor(first.map((d, i) => (i === axis ? size : d)), xs[0].dtype);
  }

  slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
    const shape = size.map((s, i) => (s === -1 ? x.shape[i] - begin[i] : s));
    if (shape.length !== x.shape.length || shape.some((s, i) => s < 0 || begin[i] < 0 || begin[i] + s > x.shape[i])) {
      throw new ShapeError(`slice ${shapeString(begin)} + ${shapeString(size)} is outside ${shapeString(x.shape)}`);
    }
    return new ShapeTensor(shape, x.dtype);
  }

  tile(x: Tensor, reps: readonly number[]): Tensor {
    if (reps.length !== x.shape.length) throw new ShapeError(`tile: ${reps.length} repeats for a rank-${x.shape.length} tensor`);
    return new ShapeTensor(x.shape.map((d, i) => d * reps[i]), x.dtype);
  }

  // --- spatial -------------------------------------------------------------------------
  resize(x: Tensor, o: ResizeOptions): Tensor {
    const [n, c] = rank4(x, 'resize');
    return new ShapeTensor([n, c, o.size[0], o.size[1]], x.dtype);
  }

  maxPool2d(x: Tensor, o: Pool2dOptions): Tensor {
    return this.pool('max pool', x, o);
  }

  avgPool2d(x: Tensor, o: Pool2dOptions): Tensor {
    return this.pool('avg pool', x, o);
  }

  private pool(what: string, x: Tensor, o: Pool2dOptions): Tensor {
    const [n, c, h, w] = rank4(x, what);
    const oh = poolOut(h, o.kernel[0], o.stride[0], o.padding[0], o.ceilMode);
    const ow = poolOut(w, o.kernel[1], o.stride[1], o.padding[1], o.ceilMode);
    if (oh < 1 || ow < 1) throw new ShapeError(`${what}: a ${h}x${w} input is too small for a ${o.kernel.join('x')} window`);
    return new ShapeTensor([n, c, oh, ow], x.dtype);
  }

  globalAvgPool(x: Tensor): Tensor {
    const [n, c] = rank4(x, 'global avg pool');
    return new ShapeTensor([n, c, 1, 1], x.dtype);
  }

  // --- detection -----------------------------------------------------------------------
  topk(x: Tensor, k: number) {
    const shape = [...x.shape.slice(0, -1), k];
    if (k > x.shape[x.shape.length - 1]) throw new ShapeError(`topk: k=${k} exceeds the last axis of ${shapeString(x.shape)}`);
    return { values: new ShapeTensor(shape, x.dtype), indices: new ShapeTensor(shape, 'int32') };
  }

  gather(x: Tensor, indices: Tensor, axis: number): Tensor {
    checkAxis('gather', axis, x.shape.length);
    return new ShapeTensor([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype);
  }

  nms(boxes: Tensor, scores: Tensor, o: NmsOptions): Tensor {
    const n = boxes.shape[0];
    if (boxes.shape.length !== 2 || boxes.shape[1] !== 4 || numel(scores.shape) !== n) {
      throw new ShapeError(`nms: boxes ${shapeString(boxes.shape)} and scores ${shapeString(scores.shape)} do not fit`);
    }
    const shape = [o.maxOutput >= 0 ? Math.min(o.maxOutput, n) : n];
    this.listener.dataDependent?.('nms', shape);
    return new ShapeTensor(shape, 'int32');
  }

  roiAlign(features: Tensor, rois: Tensor, o: RoiAlignOptions): Tensor {
    const [, c] = rank4(features, 'roi align');
    if (rois.shape.length !== 2 || rois.shape[1] !== 5) throw new ShapeError(`roi align: rois must be [K,5], got ${shapeString(rois.shape)}`);
    return new ShapeTensor([rois.shape[0], c, o.outputSize[0], o.outputSize[1]], features.dtype);
  }
}

function rank4(x: Tensor, op: string): readonly number[] {
  if (x.shape.length !== 4) throw new ShapeError(`${op} expects a 4-D NCHW input, got ${shapeString(x.shape)}`);
  return x.shape;
}

function checkAxis(op: string, axis: number, rank: number): void {
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) throw new ShapeError(`${op}: axis ${axis} is out of range for rank ${rank}`);
}

/** PyTorch's Conv2d output size. */
export function convOut(size: number, kernel: number, stride: number, pad: number, dilation: number): number {
  return Math.floor((size + 2 * pad - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** PyTorch's pooling output size; with ceil mode the last window must start inside the (left-padded) input. */
export function poolOut(size: number, kernel: number, stride: number, pad: number, ceilMode: boolean): number {
  const span = size + 2 * pad - kernel;
  if (!ceilMode) return Math.floor(span / stride) + 1;
  let out = Math.ceil(span / stride) + 1;
  if ((out - 1) * stride >= size + pad) out--;
  return out;
}

/** NumPy broadcasting of two shapes. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new ShapeError(`${op}: shapes ${shapeString(a)} and ${shapeString(b)} do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}
