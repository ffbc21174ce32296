/**
 * Symbolic tensor dimensions of the ONNX tracer. A dimension is either a number (static) or
 * an expression over named symbols: the dynamic input axes (`batch`, `height`, `width`) and
 * data-dependent sizes (how many boxes NMS keeps). Expressions follow PyTorch's shape
 * arithmetic, so a traced graph can say what size every tensor has for any input size.
 */
export type Dim = number | SymExpr;

export type SymExpr =
  | { readonly op: 'sym'; readonly name: string }
  | { readonly op: 'add'; readonly a: Dim; readonly b: Dim }
  | { readonly op: 'mul'; readonly a: Dim; readonly b: Dim }
  /** exact quotient (a reshape's -1 dimension); not an integer means the shape is invalid. */
  | { readonly op: 'div'; readonly a: Dim; readonly b: Dim }
  /** floor(a * s): interpolate with a scale factor. */
  | { readonly op: 'scale'; readonly a: Dim; readonly s: number }
  /**
   * Output length of a sliding window (conv / pool) over `a` with total padding `pad`, window
   * extent `k` (dilation applied) and stride `s`; `ceil` follows PyTorch's ceil_mode, which
   * drops a last window that would start inside the right padding.
   */
  | { readonly op: 'window'; readonly a: Dim; readonly k: number; readonly s: number; readonly padBegin: number; readonly padEnd: number; readonly ceil: boolean };

export type Env = ReadonlyMap<string, number>;

export const isStatic = (d: Dim): d is number => typeof d === 'number';

export function sym(name: string): SymExpr {
  return { op: 'sym', name };
}

export function add(a: Dim, b: Dim): Dim {
  if (isStatic(a) && isStatic(b)) return a + b;
  if (b === 0) return a;
  if (a === 0) return b;
  return { op: 'add', a, b };
}

export function mul(a: Dim, b: Dim): Dim {
  if (isStatic(a) && isStatic(b)) return a * b;
  if (b === 1) return a;
  if (a === 1) return b;
  return { op: 'mul', a, b };
}

export function div(a: Dim, b: Dim): Dim {
  if (isStatic(a) && isStatic(b)) return a / b;
  if (b === 1) return a;
  if (sameDim(a, b)) return 1;
  return { op: 'div', a, b };
}

export function scale(a: Dim, s: number): Dim {
  if (isStatic(a)) return Math.floor(a * s);
  if (s === 1) return a;
  return { op: 'scale', a, s };
}

export function window(a: Dim, k: number, s: number, padBegin: number, padEnd: number, ceil: boolean): Dim {
  if (isStatic(a)) return windowLength(a, k, s, padBegin, padEnd, ceil);
  if (s === 1) return add(a, padBegin + padEnd - k + 1);
  return { op: 'window', a, k, s, padBegin, padEnd, ceil };
}

function windowLength(n: number, k: number, s: number, padBegin: number, padEnd: number, ceil: boolean): number {
  const span = n + padBegin + padEnd - k;
  if (!ceil) return Math.floor(span / s) + 1;
  let out = Math.ceil(span / s) + 1;
  // PyTorch: the last window must start inside the input or the left padding
  if ((out - 1) * s >= n + padBegin) out--;
  return out;
}

/** Value of a dimension for given symbol values (NaN when a symbol is missing). */
export function evalDim(d: Dim, env: Env): number {
  if (isStatic(d)) return d;
  switch (d.op) {
    case 'sym':
      return env.get(d.name) ?? NaN;
    case 'add':
      return evalDim(d.a, env) + evalDim(d.b, env);
    case 'mul':
      return evalDim(d.a, env) * evalDim(d.b, env);
    case 'div': {
      const q = evalDim(d.a, env) / evalDim(d.b, env);
      return Number.isInteger(q) ? q : NaN;
    }
    case 'scale':
      return Math.floor(evalDim(d.a, env) * d.s);
    case 'window':
      return windowLength(evalDim(d.a, env), d.k, d.s, d.padBegin, d.padEnd, d.ceil);
  }
}

/** Symbols a dimension depends on. */
export function symbolsOf(d: Dim, out = new Set<string>()): Set<string> {
  if (isStatic(d)) return out;
  switch (d.op) {
    case 'sym':
      out.add(d.name);
      break;
    case 'add':
    case 'mul':
    case 'div':
      symbolsOf(d.a, out);
      symbolsOf(d.b, out);
      break;
    case 'scale':
    case 'window':
      symbolsOf(d.a, out);
      break;
  }
  return out;
}

const printed = new WeakMap<SymExpr, string>();

/** Readable, canonical text of a dimension; also its ONNX `dim_param`. */
export function dimToString(d: Dim): string {
  if (isStatic(d)) return String(d);
  const cached = printed.get(d);
  if (cached !== undefined) return cached;
  const p = (x: Dim) => (isStatic(x) || x.op === 'sym' ? dimToString(x) : `(${dimToString(x)})`);
  let s: string;
  switch (d.op) {
    case 'sym':
      s = d.name;
      break;
    case 'add':
      s = `${dimToString(d.a)}+${p(d.b)}`;
      break;
    case 'mul':
      s = `${p(d.a)}*${p(d.b)}`;
      break;
    case 'div':
      s = `${p(d.a)}/${p(d.b)}`;
      break;
    case 'scale':
      s = `floor(${p(d.a)}*${d.s})`;
      break;
    case 'window': {
      const shift = d.padBegin + d.padEnd - d.k;
      const num = shift === 0 ? dimToString(d.a) : `${dimToString(d.a)}${shift > 0 ? '+' : ''}${shift}`;
      const q = d.s === 1 ? num : `${d.ceil ? 'ceil' : 'floor'}((${num})/${d.s})`;
      s = `${q}+1`;
      if (d.ceil && d.s !== 1) s = `pool_ceil(${dimToString(d.a)},k${d.k},s${d.s},p${d.padBegin})`;
      break;
    }
  }
  printed.set(d, s);
  return s;
}

/** Structural identity (same expression text). Equal-valued but different expressions are not the same. */
export function sameDim(a: Dim, b: Dim): boolean {
  if (isStatic(a) || isStatic(b)) return a === b;
  return a === b || dimToString(a) === dimToString(b);
}
