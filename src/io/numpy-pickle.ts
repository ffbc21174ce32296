import { NumpyArray, NumpyDtype, PyTuple, type PyValue } from './py-value';

/**
 * NumPy values as numpy pickles them, decoded into data without importing anything:
 *   dtype:  numpy.dtype('f8', False, True) REDUCE, then BUILD (3, '<', ...)
 *   array:  numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b') REDUCE, then
 *           BUILD (1, shape, dtype, is_fortran, raw bytes | list of objects)
 *   scalar: numpy.core.multiarray.scalar(dtype, raw bytes) REDUCE
 * (numpy 2 spells the module numpy._core.multiarray.) Returns an error text for anything else.
 */
export type Decoded<T> = { value: T } | { error: string };

const SIZES: Record<string, number[]> = { f: [2, 4, 8], i: [1, 2, 4, 8], u: [1, 2, 4, 8], b: [1] };

/** 'f8', '<f4', '|b1', 'float64', ... → a dtype, or an error for structured and exotic types. */
export function parseDtype(spec: PyValue): Decoded<NumpyDtype> {
  if (typeof spec !== 'string') return { error: `a numpy dtype named by ${typeof spec}` };
  const named: Record<string, string> = { float64: 'f8', float32: 'f4', float16: 'f2', int64: 'i8', int32: 'i4', int16: 'i2', int8: 'i1', uint8: 'u1', bool: 'b1', object: 'O' };
  const s = named[spec] ?? spec.replace(/^[<>|=]/, '');
  if (s === 'O' || s === 'O8') return { value: new NumpyDtype('O') };
  const m = /^([fiub])(\d)$/.exec(s);
  if (!m || !SIZES[m[1]].includes(Number(m[2]))) return { error: `the numpy dtype '${spec}'` };
  return { value: new NumpyDtype(s, !spec.startsWith('>')) };
}

/** BUILD state of a dtype: (version, byte order, ...); only plain (non-structured) dtypes. */
export function buildDtype(d: NumpyDtype, state: PyValue): string | null {
  const items = state instanceof PyTuple ? state.items : [];
  if (items.length < 2 || typeof items[1] !== 'string') return 'a numpy dtype with an unexpected state';
  if (items.length >= 5 && (items[3] !== null || items[4] !== null)) return 'a structured numpy dtype';
  d.littleEndian = items[1] !== '>';
  return null;
}

/** Elements of `bytes` read as `dtype`. */
export function decodeValues(dtype: NumpyDtype, bytes: Uint8Array, count: number): Decoded<Float64Array | (number | bigint | boolean)[]> {
  const size = Number(dtype.code.slice(1));
  if (bytes.length !== count * size) return { error: `a numpy array of ${count} x ${dtype.code} with ${bytes.length} bytes of data` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = dtype.littleEndian;
  const kind = dtype.code[0];
  if (kind === 'f') {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = size === 8 ? view.getFloat64(i * 8, le) : size === 4 ? view.getFloat32(i * 4, le) : half(view.getUint16(i * 2, le));
    return { value: out };
  }
  const out: (number | bigint | boolean)[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = readInt(view, i * size, size, kind, le);
  return { value: out };
}

function readInt(view: DataView, at: number, size: number, kind: string, le: boolean): number | bigint | boolean {
  if (kind === 'b') return view.getUint8(at) !== 0;
  const signed = kind === 'i';
  switch (size) {
    case 1: return signed ? view.getInt8(at) : view.getUint8(at);
    case 2: return signed ? view.getInt16(at, le) : view.getUint16(at, le);
    case 4: return signed ? view.getInt32(at, le) : view.getUint32(at, le);
    default: {
      const v = signed ? view.getBigInt64(at, le) : view.getBigUint64(at, le);
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
  }
}

function half(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** BUILD state of an ndarray: (version, shape, dtype, is_fortran, data). */
export function buildArray(a: NumpyArray, state: PyValue): string | null {
  const items = state instanceof PyTuple ? state.items : [];
  if (items.length !== 5) return 'a numpy array with an unexpected state';
  const [, shapeV, dtype, fortran, data] = items;
  const shape = shapeV instanceof PyTuple ? shapeV.items : [];
  if (!shape.every((d): d is number => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0) || !(dtype instanceof NumpyDtype)) {
    return 'a numpy array with an invalid shape or dtype';
  }
  const count = shape.reduce((x, y) => x * y, 1);
  if (fortran === true && shape.filter((d) => d > 1).length > 1) return 'a Fortran-ordered numpy array';
  a.shape = shape;
  a.dtype = dtype.code;
  if (dtype.code === 'O') {
    if (!Array.isArray(data) || data.length !== count) return 'a numpy object array whose data is not a list of its elements';
    a.values = data;
    return null;
  }
  if (!(data instanceof Uint8Array)) return 'a numpy array whose data is not bytes';
  const decoded = decodeValues(dtype, data, count);
  if ('error' in decoded) return decoded.error;
  a.values = decoded.value;
  return null;
}

/** numpy.core.multiarray.scalar(dtype, bytes) → the number (or bool). */
export function decodeScalar(args: readonly PyValue[]): Decoded<number | bigint | boolean> {
  const [dtype, data] = args;
  if (args.length !== 2 || !(dtype instanceof NumpyDtype) || !(data instanceof Uint8Array) || dtype.code === 'O') {
    return { error: 'a numpy scalar other than (dtype, raw bytes)' };
  }
  const v = decodeValues(dtype, data, 1);
  if ('error' in v) return v;
  return { value: v.value[0] };
}
