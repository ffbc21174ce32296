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
import { hostTensor, shapeString, type DType, type HostTensor } from '../../core/host-tensor';
import type { Parameter } from '../../core/parameter';
import type { Tensor } from '../../core/tensor';
import { DimSpace } from './dim-space';
import { attr, float32Tensor, Graph, int64Tensor, type Attrs } from './graph';
import { lowerAvgPool, lowerMaxPool, lowerResize } from './lower-spatial';
import { lowerNms, lowerRoiAlign } from './lower-detection';
import { TraceError } from './trace-error';
import * as D from './sym-dim';
import { physicalType, SymTensor } from './sym-tensor';
import type { Dim } from './sym-dim';

export { TraceError };

/** Which axes of a graph input are dynamic: a symbol name per axis, or null for a fixed size. */
export type AxisSymbols = readonly (string | null)[];

export interface OnnxTracerOptions {
  /** ONNX opset the graph targets (16 or later; RoiAlign needs 16). */
  opset?: number;
  /** State-dict key of each parameter/buffer: its initializer name. */
  paramNames?: ReadonlyMap<Parameter, string>;
}

export const MIN_OPSET = 16;
export const MAX_OPSET = 21;
const INT64_MAX = 9223372036854775807n;

const UNARY: Record<UnaryOp, string> = {
  relu: 'Relu',
  sigmoid: 'Sigmoid',
  exp: 'Exp',
  log: 'Log',
  sqrt: 'Sqrt',
  neg: 'Neg',
  abs: 'Abs',
  floor: 'Floor',
  ceil: 'Ceil',
  tanh: 'Tanh',
  softplus: 'Softplus',
};
const BINARY: Record<BinaryOp, string> = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', maximum: 'Max', minimum: 'Min', pow: 'Pow' };
const COMPARE: Record<CompareOp, string> = {
  greater: 'Greater',
  greaterEqual: 'GreaterOrEqual',
  less: 'Less',
  lessEqual: 'LessOrEqual',
  equal: 'Equal',
};
const REDUCE: Record<ReduceOp, string> = { sum: 'ReduceSum', mean: 'ReduceMean', max: 'ReduceMax', min: 'ReduceMin' };

/**
 * The ONNX engine of the op layer. Running a model's forward with its symbolic tensors records
 * the graph: every op becomes standard ONNX nodes (NCHW, float32), parameters become
 * initializers named by their state-dict keys. Dims are symbolic where inputs are dynamic;
 * sizes model code computes from `x.shape` are mapped back to the dims they came from.
 */
export class OnnxTracer implements Engine {
  readonly name = 'onnx';
  readonly eager = false;

  /** Symbolic values own no memory: a scope is just the call. */
  scope<T>(fn: () => T): T {
    return fn();
  }
  readonly graph = new Graph();
  readonly space = new DimSpace();
  readonly opset: number;
  /** Things the exporter should tell the user (ambiguous sizes, fallbacks). */
  readonly warnings: string[] = [];
  private readonly paramNames: ReadonlyMap<Parameter, string>;
  private readonly params = new Map<Parameter, SymTensor>();
  private readonly scalars = new Map<string, SymTensor>();
  /** Rank-4 tensors with a symbolic H or W, by axis and traced size, then by expression. */
  private readonly spatial = new Map<string, Map<string, SymTensor>>();
  private dataDependent = 0;
  /** Values renamed to output names (a tensor handle keeps its old name). */
  private readonly renamed = new Map<string, string>();

  constructor(opts: OnnxTracerOptions = {}) {
    this.opset = opts.opset ?? 17;
    if (!Number.isInteger(this.opset) || this.opset < MIN_OPSET || this.opset > MAX_OPSET) {
      throw new UserError(`opset ${opts.opset} is not supported: use ${MIN_OPSET} to ${MAX_OPSET} (RoiAlign with half_pixel needs 16)`);
    }
    this.paramNames = opts.paramNames ?? new Map();
  }

  // --- graph inputs and outputs --------------------------------------------------------------

  /** Declare a graph input; `symbols[i]` names a dynamic axis (e.g. 'batch'). */
  input(name: string, shape: readonly number[], dtype: DType = 'float32', symbols: AxisSymbols = []): SymTensor {
    const dims: Dim[] = shape.map((d, i) => {
      const s = symbols[i];
      if (!s) return d;
      this.space.addSymbol(s, d);
      return D.sym(s);
    });
    this.graph.addInput(name, physicalType(dtype), dims);
    return this.wrap(name, dims, dtype);
  }

  /** Make `t` a graph output called `name`. */
  output(name: string, t: Tensor): void {
    const s = this.own(t);
    const g = this.graph;
    const info = g.info(s.name);
    const plainValue = !g.isGraphInput(s.name) && !g.isInitializer(s.name) && !g.isGraphOutput(s.name) && s.name !== name;
    if (plainValue && g.producers().has(s.name)) {
      if (g.values.has(name)) throw new TraceError(`output name '${name}' is already used inside the graph`);
      g.renameValue(s.name, name);
      this.renamed.set(s.name, name);
    } else if (s.name !== name || g.isGraphOutput(name)) {
      const [out] = g.addNode('Identity', [s.name], [{ type: info.type, dims: info.dims }]);
      g.renameValue(out, name);
    }
    g.outputs.push({ name, type: info.type, dims: info.dims });
  }

  private own(t: Tensor): SymTensor {
    if (!(t instanceof SymTensor) || t.trace !== this) throw new Error('tensor does not belong to this ONNX trace');
    const r = this.renamed.get(t.name);
    return r ? new SymTensor(r, t.dims, t.shape, t.dtype, this) : t;
  }

  // --- helpers used by the lowering modules --------------------------------------------------

  wrap(name: string, dims: readonly Dim[], dtype: DType): SymTensor {
    const shape = dims.map((d) => this.space.value(d));
    if (shape.some((v) => !Number.isInteger(v) || v < 0)) {
      throw new TraceError(`op produces an invalid shape ${shapeString(shape)}`);
    }
    const t = new SymTensor(name, dims, shape, dtype, this);
    if (dims.length === 4) this.noteSpatial(t);
    return t;
  }

  /** Append one node; returns its outputs as tensors. */
  emit(op: string, inputs: (Tensor | string)[], outs: { dims: readonly Dim[]; dtype: DType }[], attrs: Attrs = {}): SymTensor[] {
    const names = inputs.map((i) => (typeof i === 'string' ? i : this.own(i).name));
    const outNames = this.graph.addNode(
      op,
      names,
      outs.map((o) => ({ type: physicalType(o.dtype), dims: o.dims })),
      attrs,
    );
    return outs.map((o, i) => this.wrap(outNames[i], o.dims, o.dtype));
  }

  emit1(op: string, inputs: (Tensor | string)[], dims: readonly Dim[], dtype: DType, attrs: Attrs = {}): SymTensor {
    return this.emit(op, inputs, [{ dims, dtype }], attrs)[0];
  }

  /** An int64 initializer (shapes, axes, indices). */
  int64(values: readonly (number | bigint)[], shape?: readonly number[], hint = 'const'): string {
    return this.graph.addInitializer(hint, int64Tensor(values, shape));
  }

  float(values: readonly number[], shape?: readonly number[], hint = 'const'): string {
    return this.graph.addInitializer(hint, float32Tensor(values, shape));
  }

  /** 1-D int64 tensor holding dims [start, end) of `t`: constant when static, a Shape node otherwise. */
  shapeSlice(t: SymTensor, start: number, end: number): string {
    const dims = t.dims.slice(start, end);
    if (dims.every(D.isStatic)) return this.int64(dims as number[]);
    return this.emit1('Shape', [t], [end - start], 'int64', { start: attr.int(start), end: attr.int(end) }).name;
  }

  /** Insert size-1 axes (positions in the output). */
  unsqueeze(x: Tensor, axes: readonly number[]): SymTensor {
    const dims = [...this.own(x).dims];
    for (const a of [...axes].sort((p, q) => p - q)) dims.splice(a, 0, 1);
    return this.emit1('Unsqueeze', [x, this.int64(axes, undefined, 'axes')], dims, x.dtype);
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  /** A tensor whose dims[axis] has traced size `size` and a symbolic expression (newest first). */
  spatialSources(axis: number, size: number): SymTensor[] {
    const m = this.spatial.get(`${axis}:${size}`);
    return m ? [...m.values()].reverse() : [];
  }

  /** A new symbol for a data-dependent size (e.g. boxes NMS keeps); traced as its upper bound. */
  dataDependentDim(hint: string, upperBound: number): Dim {
    const name = `${hint}_${this.dataDependent++}`;
    this.space.addSymbol(name, upperBound);
    return D.sym(name);
  }

  private noteSpatial(t: SymTensor): void {
    for (const axis of [2, 3]) {
      const d = t.dims[axis];
      if (D.isStatic(d)) continue;
      const key = `${axis}:${t.shape[axis]}`;
      let m = this.spatial.get(key);
      if (!m) this.spatial.set(key, (m = new Map()));
      const expr = D.dimToString(d);
      m.delete(expr); // re-insert: newest last
      m.set(expr, t);
    }
  }

  /** NumPy broadcasting of dims; equal symbolic dims become a requirement on input sizes. */
  broadcast(...shapes: (readonly Dim[])[]): Dim[] {
    const rank = Math.max(...shapes.map((s) => s.length));
    const out: Dim[] = [];
    for (let i = 0; i < rank; i++) {
      let d: Dim = 1;
      for (const s of shapes) {
        const e = s[i - (rank - s.length)] ?? 1;
        if (e === 1) continue;
        if (d === 1) {
          d = e;
          continue;
        }
        const [vd, ve] = [this.space.value(d), this.space.value(e)];
        if (vd !== ve) throw new TraceError(`shapes ${shapes.map((x) => shapeString(x.map((y) => this.space.value(y)))).join(' and ')} do not broadcast`);
        this.space.require(d, e);
        if (D.isStatic(e)) d = e;
      }
      out.push(d);
    }
    return out;
  }

  // --- data ----------------------------------------------------------------------------------

  parameter(p: Parameter): Tensor {
    const cached = this.params.get(p);
    if (cached) return cached;
    const host = p.toHost();
    const stored = host.dtype === 'int32' ? toInt64(host) : host;
    const name = this.graph.addInitializer(this.paramNames.get(p) ?? 'param', stored);
    const t = this.wrap(name, [...p.shape], p.dtype === 'int64' ? 'int32' : p.dtype);
    this.params.set(p, t);
    return t;
  }

  constant(t: HostTensor): Tensor {
    const stored = t.dtype === 'int32' ? toInt64(t) : t;
    const name = this.graph.addInitializer('const', stored);
    return this.wrap(name, [...t.shape], t.dtype === 'int64' ? 'int32' : t.dtype);
  }

  scalar(value: number, dtype: DType = 'float32'): Tensor {
    const key = `${dtype}:${value}`;
    const cached = this.scalars.get(key);
    if (cached) return cached;
    const phys = physicalType(dtype);
    const host =
      phys === 'int64'
        ? int64Tensor([Math.trunc(value)], [])
        : phys === 'bool' || phys === 'uint8'
          ? hostTensor(phys, [], Uint8Array.of(value))
          : float32Tensor([value], []);
    const t = this.wrap(this.graph.addInitializer('scalar', host), [], dtype);
    this.scalars.set(key, t);
    return t;
  }

  read(): Promise<HostTensor> {
    return Promise.reject(this.noValues());
  }

  readSync(): HostTensor {
    throw this.noValues();
  }

  private noValues(): TraceError {
    return new TraceError('the model reads tensor values during its forward pass, which an ONNX graph cannot record');
  }

  assign(): void {
    throw new TraceError('the model updates parameters during its forward pass: export it in eval mode');
  }

  // --- dense ---------------------------------------------------------------------------------

  conv2d(x: Tensor, weight: Tensor, bias: Tensor | null, o: Conv2dOptions): Tensor {
    const xs = this.own(x);
    const [cout, , kh, kw] = weight.shape;
    const ek = [o.dilation[0] * (kh - 1) + 1, o.dilation[1] * (kw - 1) + 1];
    const dims = [
      xs.dims[0],
      cout,
      D.window(xs.dims[2], ek[0], o.stride[0], o.padding[0], o.padding[0], false),
      D.window(xs.dims[3], ek[1], o.stride[1], o.padding[1], o.padding[1], false),
    ];
    const inputs: Tensor[] = bias ? [x, weight, bias] : [x, weight];
    return this.emit1('Conv', inputs, dims, 'float32', {
      kernel_shape: attr.ints([kh, kw]),
      strides: attr.ints(o.stride),
      pads: attr.ints([o.padding[0], o.padding[1], o.padding[0], o.padding[1]]),
      dilations: attr.ints(o.dilation),
      group: attr.int(o.groups),
    });
  }

  convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null, o: ConvTranspose2dOptions): Tensor {
    const xs = this.own(x);
    const [, outPerGroup, kh, kw] = weight.shape;
    // (in - 1) * stride - 2 * pad + dilation * (k - 1) + output_padding + 1, symbolic where `in` is
    const size = (d: Dim, i: 0 | 1, k: number) =>
      D.add(D.mul(d, o.stride[i]), -o.stride[i] - 2 * o.padding[i] + o.dilation[i] * (k - 1) + o.outputPadding[i] + 1);
    const dims = [xs.dims[0], outPerGroup * o.groups, size(xs.dims[2], 0, kh), size(xs.dims[3], 1, kw)];
    const inputs: Tensor[] = bias ? [x, weight, bias] : [x, weight];
    return this.emit1('ConvTranspose', inputs, dims, 'float32', {
      kernel_shape: attr.ints([kh, kw]),
      strides: attr.ints(o.stride),
      pads: attr.ints([o.padding[0], o.padding[1], o.padding[0], o.padding[1]]),
      dilations: attr.ints(o.dilation),
      output_padding: attr.ints(o.outputPadding),
      group: attr.int(o.groups),
    });
  }

  linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
    const xs = this.own(x);
    const out = weight.shape[0];
    if (xs.dims.length === 2) {
      return this.emit1('Gemm', bias ? [x, weight, bias] : [x, weight], [xs.dims[0], out], 'float32', { transB: attr.int(1) });
    }
    // constant folding turns the transposed weight into an initializer
    const wt = this.emit1('Transpose', [weight], [weight.shape[1], out], 'float32', { perm: attr.ints([1, 0]) });
    const y = this.emit1('MatMul', [x, wt], [...xs.dims.slice(0, -1), out], 'float32');
    return bias ? this.binary('add', y, bias) : y;
  }

  matmul(a: Tensor, b: Tensor): Tensor {
    const [ad, bd] = [this.own(a).dims, this.own(b).dims];
    if (ad.length < 2 || bd.length < 2) throw new TraceError('matmul of a 1-D tensor is not supported by the exporter');
    this.space.require(ad[ad.length - 1], bd[bd.length - 2]);
    const batch = this.broadcast(ad.slice(0, -2), bd.slice(0, -2));
    return this.emit1('MatMul', [a, b], [...batch, ad[ad.length - 2], bd[bd.length - 1]], 'float32');
  }

  batchNorm(x: Tensor, mean: Tensor, variance: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
    const c = mean.shape[0];
    const w = weight ?? this.float(new Array(c).fill(1), [c], 'bn_scale');
    const b = bias ?? this.float(new Array(c).fill(0), [c], 'bn_bias');
    return this.emit1('BatchNormalization', [x, w, b, mean, variance], this.own(x).dims, 'float32', { epsilon: attr.float(eps) });
  }

  moments(x: Tensor, axes: readonly number[]): { mean: Tensor; variance: Tensor } {
    const xs = this.own(x);
    const kept = xs.dims.map((d, i) => (axes.includes(i) ? 1 : d));
    const reduced = xs.dims.filter((_, i) => !axes.includes(i));
    const meanK = this.reduceNode('ReduceMean', x, axes, true, kept);
    const d = this.binary('sub', x, meanK);
    const variance = this.reduceNode('ReduceMean', this.binary('mul', d, d), axes, false, reduced);
    const mean = this.reduceNode('ReduceMean', x, axes, false, reduced);
    return { mean, variance };
  }

  groupNorm(x: Tensor, groups: number, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
    const xs = this.own(x);
    const c = xs.shape[1];
    // PyTorch's own lowering: per-group instance norm over [N, G, C/G*H*W], then the affine part
    const rest = D.div(xs.dims.slice(1).reduce<Dim>((a, d) => D.mul(a, d), 1), groups);
    const r = this.emit1('Reshape', [x, this.int64([0, groups, -1])], [xs.dims[0], groups, rest], 'float32');
    const ones = this.float(new Array(groups).fill(1), [groups], 'gn_scale');
    const zeros = this.float(new Array(groups).fill(0), [groups], 'gn_bias');
    const n = this.emit1('InstanceNormalization', [r, ones, zeros], r.dims, 'float32', { epsilon: attr.float(eps) });
    let y: Tensor = this.emit1('Reshape', [n, this.shapeSlice(xs, 0, xs.dims.length)], xs.dims, 'float32');
    const perChannel = [c, ...new Array(xs.dims.length - 2).fill(1)];
    if (weight) y = this.binary('mul', y, this.reshape(weight, perChannel));
    if (bias) y = this.binary('add', y, this.reshape(bias, perChannel));
    return y;
  }

  // --- elementwise ---------------------------------------------------------------------------

  unary(op: UnaryOp, x: Tensor): Tensor {
    const xs = this.own(x);
    return this.emit1(UNARY[op], [x], xs.dims, xs.dtype);
  }

  binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
    const [x, y] = this.sameType(a, b);
    const dims = this.broadcast(this.own(x).dims, this.own(y).dims);
    return this.emit1(BINARY[op], [x, y], dims, x.dtype);
  }

  compare(op: CompareOp, a: Tensor, b: Tensor): Tensor {
    const [x, y] = this.sameType(a, b);
    const dims = this.broadcast(this.own(x).dims, this.own(y).dims);
    return this.emit1(COMPARE[op], [x, y], dims, 'bool');
  }

  /** ONNX arithmetic needs equal element types: promote to float32 as tfjs does. */
  private sameType(a: Tensor, b: Tensor): [Tensor, Tensor] {
    if (physicalType(a.dtype) === physicalType(b.dtype)) return [a, b];
    return [this.cast(a, 'float32'), this.cast(b, 'float32')];
  }

  where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
    const [x, y] = this.sameType(a, b);
    const dims = this.broadcast(this.own(cond).dims, this.own(x).dims, this.own(y).dims);
    const c = cond.dtype === 'bool' ? cond : this.cast(cond, 'bool');
    return this.emit1('Where', [c, x, y], dims, x.dtype);
  }

  clip(x: Tensor, min: number, max: number): Tensor {
    const xs = this.own(x);
    const bound = (v: number) => (physicalType(xs.dtype) === 'int64' ? this.int64([Math.trunc(v)], [], 'clip') : this.float([v], [], 'clip'));
    return this.emit1('Clip', [x, bound(min), bound(max)], xs.dims, xs.dtype);
  }

  cast(x: Tensor, dtype: DType): Tensor {
    const xs = this.own(x);
    const to = physicalType(dtype);
    if (to === physicalType(xs.dtype)) return new SymTensor(xs.name, xs.dims, xs.shape, dtype, this);
    const code = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9 }[to];
    return this.emit1('Cast', [x], xs.dims, dtype, { to: attr.int(code) });
  }

  softmax(x: Tensor, axis: number): Tensor {
    return this.emit1('Softmax', [x], this.own(x).dims, 'float32', { axis: attr.int(axis) });
  }

  logSoftmax(x: Tensor, axis: number): Tensor {
    return this.emit1('LogSoftmax', [x], this.own(x).dims, 'float32', { axis: attr.int(axis) });
  }

  reduce(op: ReduceOp, x: Tensor, axes: readonly number[], keepDims: boolean): Tensor {
    const xs = this.own(x);
    const dims = keepDims ? xs.dims.map((d, i) => (axes.includes(i) ? 1 : d)) : xs.dims.filter((_, i) => !axes.includes(i));
    return this.reduceNode(REDUCE[op], x, axes, keepDims, dims);
  }

  private reduceNode(op: string, x: Tensor, axes: readonly number[], keepDims: boolean, dims: Dim[]): SymTensor {
    const xs = this.own(x);
    const keep = { keepdims: attr.int(keepDims ? 1 : 0) };
    // ReduceSum takes axes as an input from opset 13, the others from opset 18
    if (op === 'ReduceSum' || this.opset >= 18) {
      return this.emit1(op, [x, this.int64(axes)], dims, xs.dtype, keep);
    }
    return this.emit1(op, [x], dims, xs.dtype, { ...keep, axes: attr.ints(axes) });
  }

  argmax(x: Tensor, axis: number): Tensor {
    const xs = this.own(x);
    return this.emit1('ArgMax', [x], xs.dims.filter((_, i) => i !== axis), 'int32', {
      axis: attr.int(axis),
      keepdims: attr.int(0),
    });
  }

  // --- layout --------------------------------------------------------------------------------

  reshape(x: Tensor, shape: readonly number[]): Tensor {
    const xs = this.own(x);
    if (xs.dims.every(D.isStatic)) {
      return this.emit1('Reshape', [x, this.int64(shape)], [...shape], xs.dtype);
    }
    const { spec, dims } = this.dynamicReshape(xs, shape);
    return this.emit1('Reshape', [x, this.int64(spec)], dims, xs.dtype);
  }

  /**
   * A reshape target for symbolic input dims: a dim equal to the input's at the same position
   * is copied (ONNX 0), at most one other dim absorbs the remaining symbolic sizes (-1).
   */
  private dynamicReshape(xs: SymTensor, shape: readonly number[]): { spec: number[]; dims: Dim[] } {
    const copied = shape.map((v, i) => i < xs.dims.length && !D.isStatic(xs.dims[i]) && xs.shape[i] === v);
    const leftover = xs.dims.filter((d, i) => !(copied[i] && i < shape.length) && !D.isStatic(d));
    let free = shape.map((_, i) => i).filter((i) => !copied[i]);
    if (free.length > 1) {
      // trailing target dims equal to the input's static trailing dims stay static ([R, K, 4] → [R*K, 4])
      let t = 1;
      while (t < shape.length && t <= xs.dims.length && !copied[shape.length - t] && xs.dims[xs.dims.length - t] === shape[shape.length - t]) t++;
      const trailing = new Set(Array.from({ length: t - 1 }, (_, i) => shape.length - 1 - i));
      const rest = free.filter((i) => !trailing.has(i));
      if (rest.length === 1) free = rest;
    }
    const spec = shape.map((v, i) => (copied[i] ? 0 : v));
    const dims: Dim[] = shape.map((v, i) => (copied[i] ? xs.dims[i] : v));
    if (leftover.length === 0) return { spec, dims };
    if (free.length !== 1) {
      throw new TraceError(
        `cannot reshape ${shapeString(xs.shape)} to ${shapeString(shape)} with dynamic sizes: the model is not fully convolutional (export without --dynamic)`,
      );
    }
    const j = free[0];
    const total = xs.dims.filter((_, i) => !copied[i] || i >= shape.length).reduce<Dim>((a, d) => D.mul(a, d), 1);
    const others = shape.filter((_, i) => !copied[i] && i !== j).reduce((a, b) => a * b, 1);
    spec[j] = -1;
    dims[j] = D.div(total, others);
    return { spec, dims };
  }

  transpose(x: Tensor, perm: readonly number[]): Tensor {
    const xs = this.own(x);
    return this.emit1('Transpose', [x], perm.map((p) => xs.dims[p]), xs.dtype, { perm: attr.ints(perm) });
  }

  concat(xs: readonly Tensor[], axis: number): Tensor {
    const ts = xs.map((t) => this.own(t));
    const dims = [...ts[0].dims];
    for (const t of ts.slice(1)) {
      t.dims.forEach((d, i) => {
        if (i === axis) dims[i] = D.add(dims[i], d);
        else if (this.space.value(d) !== this.space.value(dims[i])) {
          throw new TraceError(`concat along axis ${axis}: shapes ${ts.map((s) => shapeString(s.shape)).join(', ')} differ`);
        } else {
          this.space.require(dims[i], d);
          if (D.isStatic(d)) dims[i] = d;
        }
      });
    }
    return this.emit1('Concat', [...xs], dims, ts[0].dtype, { axis: attr.int(axis) });
  }

  slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
    const xs = this.own(x);
    const axes: number[] = [];
    const starts: bigint[] = [];
    const ends: bigint[] = [];
    const dims = [...xs.dims];
    xs.dims.forEach((d, i) => {
      const full = begin[i] + size[i] === xs.shape[i];
      if (begin[i] === 0 && full) return;
      axes.push(i);
      starts.push(BigInt(begin[i]));
      // a slice that reaches the end keeps reaching the end for other input sizes
      const open = full && !D.isStatic(d);
      ends.push(open ? INT64_MAX : BigInt(begin[i] + size[i]));
      dims[i] = open ? D.add(d, -begin[i]) : size[i];
    });
    if (axes.length === 0) return x;
    return this.emit1('Slice', [x, this.int64(starts), this.int64(ends), this.int64(axes)], dims, xs.dtype);
  }

  tile(x: Tensor, reps: readonly number[]): Tensor {
    const xs = this.own(x);
    return this.emit1('Tile', [x, this.int64(reps)], xs.dims.map((d, i) => D.mul(d, reps[i])), xs.dtype);
  }

  // --- spatial -------------------------------------------------------------------------------

  resize(x: Tensor, o: ResizeOptions): Tensor {
    return lowerResize(this, this.own(x), o);
  }

  maxPool2d(x: Tensor, o: Pool2dOptions): Tensor {
    return lowerMaxPool(this, this.own(x), o);
  }

  avgPool2d(x: Tensor, o: Pool2dOptions): Tensor {
    return lowerAvgPool(this, this.own(x), o);
  }

  globalAvgPool(x: Tensor): Tensor {
    const xs = this.own(x);
    return this.emit1('GlobalAveragePool', [x], [xs.dims[0], xs.dims[1], 1, 1], 'float32');
  }

  // --- detection -----------------------------------------------------------------------------

  topk(x: Tensor, k: number): { values: Tensor; indices: Tensor } {
    const xs = this.own(x);
    const dims = [...xs.dims.slice(0, -1), k];
    const [values, indices] = this.emit(
      'TopK',
      [x, this.int64([k], [1], 'k')],
      [
        { dims, dtype: xs.dtype },
        { dims, dtype: 'int32' },
      ],
      { axis: attr.int(-1), largest: attr.int(1), sorted: attr.int(1) },
    );
    return { values, indices };
  }

  gather(x: Tensor, indices: Tensor, axis: number): Tensor {
    const xs = this.own(x);
    const is = this.own(indices);
    const idx = physicalType(is.dtype) === 'int64' ? indices : this.cast(indices, 'int32');
    const dims = [...xs.dims.slice(0, axis), ...is.dims, ...xs.dims.slice(axis + 1)];
    return this.emit1('Gather', [x, idx], dims, xs.dtype, { axis: attr.int(axis) });
  }

  nms(boxes: Tensor, scores: Tensor, o: NmsOptions): Tensor {
    return lowerNms(this, this.own(boxes), this.own(scores), o);
  }

  roiAlign(features: Tensor, rois: Tensor, o: RoiAlignOptions): Tensor {
    return lowerRoiAlign(this, this.own(features), this.own(rois), o);
  }
}

function toInt64(t: HostTensor): HostTensor {
  return hostTensor('int64', t.shape, BigInt64Array.from(t.data as ArrayLike<number>, (v) => BigInt(v)));
}
