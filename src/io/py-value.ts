import type { HostTensor } from '../core/host-tensor';
import type { StoredType } from './element-types';

/**
 * The Python values a checkpoint pickle may produce. Lists are JS arrays, ints are numbers (or
 * bigint beyond 2^53), None is null; tuples, dicts and the torch objects get small classes so
 * that nothing here is ever mistaken for executable state.
 */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PyGlobal
  | StorageRef
  | TensorRef
  | NumpyArray
  | NumpyDtype
  | PyOpaque;

/** Dict keys: only hashable scalars occur in checkpoints. */
export type PyKey = null | boolean | number | bigint | string;

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

/** dict or collections.OrderedDict (both keep insertion order). */
export class PyDict {
  readonly entries = new Map<PyKey, PyValue>();
  /** Instance attributes set by BUILD (an OrderedDict state_dict carries `_metadata`). */
  readonly attributes = new Map<string, PyValue>();

  constructor(readonly ordered = false) {}
}

/** An object of a known plain-data class (a MessageHub HistoryBuffer): its attributes as entries. */
export class PyInstance extends PyDict {
  constructor(readonly className: string) {
    super(false);
  }
}

/** An allowed Python global, referenced by name only; nothing is imported or called. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}

  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A storage named by a persistent id: where its bytes are and how many elements it has. */
export class StorageRef {
  constructor(
    /** Torch storage class name (FloatStorage, ...). */
    readonly typeName: string,
    readonly type: StoredType,
    /** Key in the file (zip entry `data/<key>` or legacy storage key). */
    readonly key: string,
    readonly numel: number,
    /** Element offset inside the key's storage (legacy views; 0 otherwise). */
    readonly viewOffset = 0,
  ) {}
}

/** A tensor as the pickle describes it; its data is read from the storage when needed. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
    readonly requiresGrad: boolean,
  ) {}

  withRequiresGrad(requiresGrad: boolean): TensorRef {
    return new TensorRef(this.storage, this.offset, this.shape, this.stride, requiresGrad);
  }
}

/** A numpy dtype (`numpy.dtype('<f8')` in a pickle): kind, item size and byte order. */
export class NumpyDtype {
  constructor(
    /** numpy's type string without the byte order: 'f8', 'i4', 'u1', 'b1', 'O', ... */
    readonly code: string,
    public littleEndian = true,
  ) {}
}

/** A numpy array decoded from its pickle (`numpy.core.multiarray._reconstruct` + BUILD). */
export class NumpyArray {
  constructor(
    public dtype: string,
    public shape: readonly number[],
    /** Row-major values: floats as Float64Array, integers as numbers (bigint beyond 2^53), bools as booleans, object arrays as Python values. */
    public values: Float64Array | (number | bigint | boolean)[] | PyValue[],
  ) {}
}

/**
 * An instance of a Python class hrdet does not know, skipped while reading (nothing of it is
 * run or kept); `className` names it for the warning.
 */
export class PyOpaque {
  constructor(readonly className: string) {}
}

export function isPyKey(v: PyValue): v is PyKey {
  return v === null || ['boolean', 'number', 'bigint', 'string'].includes(typeof v);
}

/** Python-ish type name for error messages. */
export function pyTypeName(v: PyValue): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return v.ordered ? 'OrderedDict' : 'dict';
  if (v instanceof PyGlobal) return v.qualifiedName;
  if (v instanceof StorageRef) return `torch.${v.typeName}`;
  if (v instanceof TensorRef) return 'torch.Tensor';
  if (v instanceof NumpyArray) return 'numpy.ndarray';
  if (v instanceof NumpyDtype) return 'numpy.dtype';
  if (v instanceof PyOpaque) return v.className;
  switch (typeof v) {
    case 'boolean': return 'bool';
    case 'number': return Number.isInteger(v) ? 'int' : 'float';
    case 'bigint': return 'int';
    default: return 'str';
  }
}

export interface ToPlainOptions {
  /** How a tensor appears in the plain value (default: the TensorRef itself). */
  tensor?: (t: TensorRef) => unknown;
  /** Refuse nesting deeper than this (default 200). */
  maxDepth?: number;
}

/**
 * Python value to plain JS (objects for dicts with string keys, arrays for lists and tuples).
 * Shared sub-objects are converted once, so a pickle that references one list many times cannot
 * blow up; cycles and absurd nesting are refused.
 */
export function toPlain(v: PyValue, opts: ToPlainOptions = {}): unknown {
  const done = new Map<object, unknown>();
  const active = new Set<object>();
  const maxDepth = opts.maxDepth ?? 200;
  const go = (x: PyValue, depth: number): unknown => {
    if (x === null || typeof x !== 'object') return x;
    if (x instanceof TensorRef) return opts.tensor ? opts.tensor(x) : x;
    if (x instanceof Uint8Array || x instanceof PyGlobal || x instanceof StorageRef || x instanceof NumpyDtype || x instanceof PyOpaque) return x;
    if (x instanceof NumpyArray) return x;
    const hit = done.get(x);
    if (hit !== undefined) return hit;
    if (active.has(x)) throw new PlainConversionError('a container contains itself');
    if (depth > maxDepth) throw new PlainConversionError(`containers nested deeper than ${maxDepth} levels`);
    active.add(x);
    let out: unknown;
    if (Array.isArray(x)) out = x.map((y) => go(y, depth + 1));
    else if (x instanceof PyTuple) out = x.items.map((y) => go(y, depth + 1));
    else {
      const obj: Record<string, unknown> = {};
      for (const [k, y] of x.entries) {
        Object.defineProperty(obj, String(k), { value: go(y, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      out = obj;
    }
    active.delete(x);
    done.set(x, out);
    return out;
  };
  return go(v, 0);
}

export class PlainConversionError extends Error {}
