import { hostTensor, numel, type HostData, type HostTensor } from '../../../core/host-tensor';
import type { Attrs, GraphNode } from '../graph';

/**
 * Host implementations of the ONNX ops that appear in constant subgraphs (weight transposes
 * and reshapes, shape arithmetic, BN parameter algebra). Only what constant folding needs:
 * an op without an evaluator simply stays in the graph.
 */
type Evaluator = (inputs: HostTensor[], attrs: Attrs) => HostTensor[];

const isInt64 = (t: HostTensor) => t.data instanceof BigInt64Array;

function intAttr(attrs: Attrs, name: string, fallback: number): number {
  const a = attrs[name];
  return a && a.kind === 'int' ? a.value : fallback;
}

function intsAttr(attrs: Attrs, name: string): number[] | undefined {
  const a = attrs[name];
  return a && a.kind === 'ints' ? [...a.value] : undefined;
}

function strides(shape: readonly number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

function like(t: HostTensor, shape: readonly number[], n = numel(shape)): HostTensor {
  const Ctor = t.data.constructor as new (n: number) => HostData;
  return hostTensor(t.dtype, shape, new Ctor(n));
}

const toNumbers = (t: HostTensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));

/** Gather elements of `t` into a new tensor of `shape`: out[i] = t[src(i)]. */
function remap(t: HostTensor, shape: readonly number[], src: (outIndex: number[]) => number): HostTensor {
  const out = like(t, shape);
  const n = numel(shape);
  const idx = new Array(shape.length).fill(0);
  const o = out.data as unknown as { [i: number]: number | bigint };
  const d = t.data as unknown as { [i: number]: number | bigint };
  for (let i = 0; i < n; i++) {
    o[i] = d[src(idx)];
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
  return out;
}

function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const x = a[i - (r - a.length)] ?? 1;
    const y = b[i - (r - b.length)] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`cannot broadcast [${a}] and [${b}]`);
    return Math.max(x, y);
  });
}

function elementwise(f: (x: number, y: number) => number, g: (x: bigint, y: bigint) => bigint): Evaluator {
  return ([a, b]) => {
    const shape = broadcastShape(a.shape, b.shape);
    const out = like(isInt64(a) ? a : b, shape);
    const sa = strides(a.shape);
    const sb = strides(b.shape);
    const r = shape.length;
    const n = numel(shape);
    const idx = new Array(r).fill(0);
    const ad = a.data as unknown as { [i: number]: number | bigint };
    const bd = b.data as unknown as { [i: number]: number | bigint };
    const od = out.data as unknown as { [i: number]: number | bigint };
    for (let i = 0; i < n; i++) {
      let ia = 0;
      let ib = 0;
      for (let k = 0; k < r; k++) {
        const ka = k - (r - a.shape.length);
        const kb = k - (r - b.shape.length);
        if (ka >= 0 && a.shape[ka] !== 1) ia += idx[k] * sa[ka];
        if (kb >= 0 && b.shape[kb] !== 1) ib += idx[k] * sb[kb];
      }
      od[i] = isInt64(out) ? g(ad[ia] as bigint, bd[ib] as bigint) : f(ad[ia] as number, bd[ib] as number);
      for (let k = r - 1; k >= 0; k--) {
        if (++idx[k] < shape[k]) break;
        idx[k] = 0;
      }
    }
    return [out];
  };
}

function unaryFloat(f: (x: number) => number): Evaluator {
  return ([a]) => {
    if (isInt64(a)) throw new Error('float op on int64');
    const out = like(a, a.shape);
    const ad = a.data as Float32Array;
    const od = out.data as Float32Array;
    for (let i = 0; i < ad.length; i++) od[i] = f(ad[i]);
    return [out];
  };
}

/** Resolve a Reshape target (0 copies the input dim, -1 takes the rest). */
function reshapeTarget(input: readonly number[], spec: number[]): number[] {
  const shape = spec.map((v, i) => (v === 0 ? input[i] : v));
  const known = shape.reduce((a, v) => (v === -1 ? a : a * v), 1);
  return shape.map((v) => (v === -1 ? numel(input) / known : v));
}

function castTo(t: HostTensor, to: number): HostTensor {
  const n = t.data.length;
  const src = toNumbers(t);
  switch (to) {
    case 1:
      return hostTensor('float32', t.shape, Float32Array.from(src));
    case 7:
      return hostTensor('int64', t.shape, BigInt64Array.from(src, (v) => BigInt(Math.trunc(v))));
    case 9:
      return hostTensor('bool', t.shape, Uint8Array.from(src, (v) => (v !== 0 ? 1 : 0)));
    case 6:
      return hostTensor('int32', t.shape, Int32Array.from(src, (v) => Math.trunc(v)));
    default:
      throw new Error(`cast to type ${to} of ${n} values is not folded`);
  }
}

function normAxis(a: number, rank: number): number {
  return a < 0 ? a + rank : a;
}

const EVALUATORS: Record<string, Evaluator> = {
  Identity: ([a]) => [a],
  Transpose: ([a], attrs) => {
    const perm = intsAttr(attrs, 'perm') ?? [...a.shape.keys()].reverse();
    const shape = perm.map((p) => a.shape[p]);
    const s = strides(a.shape);
    return [remap(a, shape, (idx) => idx.reduce((acc, v, k) => acc + v * s[perm[k]], 0))];
  },
  Reshape: ([a, spec]) => [hostTensor(a.dtype, reshapeTarget(a.shape, toNumbers(spec)), a.data)],
  Unsqueeze: ([a, axes]) => {
    const shape = [...a.shape];
    const rank = a.shape.length + axes.data.length;
    for (const ax of toNumbers(axes).map((v) => normAxis(v, rank)).sort((p, q) => p - q)) shape.splice(ax, 0, 1);
    return [hostTensor(a.dtype, shape, a.data)];
  },
  Squeeze: ([a, axes]) => {
    const drop = axes ? toNumbers(axes).map((v) => normAxis(v, a.shape.length)) : a.shape.flatMap((d, i) => (d === 1 ? [i] : []));
    return [hostTensor(a.dtype, a.shape.filter((_, i) => !drop.includes(i)), a.data)];
  },
  Cast: ([a], attrs) => [castTo(a, intAttr(attrs, 'to', 1))],
  Add: elementwise((x, y) => x + y, (x, y) => x + y),
  Sub: elementwise((x, y) => x - y, (x, y) => x - y),
  Mul: elementwise((x, y) => x * y, (x, y) => x * y),
  Div: elementwise((x, y) => x / y, (x, y) => x / y),
  Neg: ([a]) => (isInt64(a) ? [hostTensor('int64', a.shape, (a.data as BigInt64Array).map((v) => -v))] : unaryFloat((x) => -x)([a], {})),
  Sqrt: unaryFloat(Math.sqrt),
  Concat: (xs, attrs) => {
    const axis = normAxis(intAttr(attrs, 'axis', 0), xs[0].shape.length);
    const shape = [...xs[0].shape];
    shape[axis] = xs.reduce((s, t) => s + t.shape[axis], 0);
    const outer = numel(shape.slice(0, axis));
    const out = like(xs[0], shape);
    const od = out.data as unknown as { set(src: ArrayLike<number | bigint>, offset: number): void };
    let offset = 0;
    for (let o = 0; o < outer; o++) {
      for (const t of xs) {
        const chunk = numel(t.shape.slice(axis));
        od.set((t.data as unknown as { subarray(a: number, b: number): ArrayLike<number | bigint> }).subarray(o * chunk, (o + 1) * chunk), offset);
        offset += chunk;
      }
    }
    return [out];
  },
  Slice: ([a, starts, ends, axesT, stepsT]) => {
    const rank = a.shape.length;
    const axes = axesT ? toNumbers(axesT).map((v) => normAxis(v, rank)) : [...Array(starts.data.length).keys()];
    const steps = stepsT ? toNumbers(stepsT) : axes.map(() => 1);
    if (steps.some((s) => s !== 1)) throw new Error('strided slices are not folded');
    const begin = new Array(rank).fill(0);
    const shape = [...a.shape];
    const st = Array.from(starts.data as BigInt64Array);
    const en = Array.from(ends.data as BigInt64Array);
    axes.forEach((ax, i) => {
      const dim = BigInt(a.shape[ax]);
      const clamp = (v: bigint) => (v < 0n ? (v + dim < 0n ? 0n : v + dim) : v > dim ? dim : v);
      const b = Number(clamp(st[i]));
      const e = Number(clamp(en[i]));
      begin[ax] = b;
      shape[ax] = Math.max(0, e - b);
    });
    const s = strides(a.shape);
    return [remap(a, shape, (idx) => idx.reduce((acc, v, k) => acc + (v + begin[k]) * s[k], 0))];
  },
  Gather: ([a, indices], attrs) => {
    const axis = normAxis(intAttr(attrs, 'axis', 0), a.shape.length);
    const idx = toNumbers(indices).map((v) => (v < 0 ? v + a.shape[axis] : v));
    const shape = [...a.shape.slice(0, axis), ...indices.shape, ...a.shape.slice(axis + 1)];
    const s = strides(a.shape);
    const ir = indices.shape.length;
    const is = strides(indices.shape);
    return [
      remap(a, shape, (o) => {
        let flat = 0;
        for (let k = 0; k < ir; k++) flat += o[axis + k] * is[k];
        let src = idx[flat] * s[axis];
        for (let k = 0; k < axis; k++) src += o[k] * s[k];
        for (let k = axis + 1; k < a.shape.length; k++) src += o[k + ir - 1] * s[k];
        return src;
      }),
    ];
  },
};

/** Evaluate `node` on constant inputs; null when the op has no host evaluator. */
export function evaluateNode(node: GraphNode, inputs: (HostTensor | undefined)[]): HostTensor[] | null {
  const f = EVALUATORS[node.op];
  if (!f) return null;
  try {
    return f(inputs as HostTensor[], node.attrs);
  } catch {
    return null;
  }
}
