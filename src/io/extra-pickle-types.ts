import { buildArray, buildDtype, decodeScalar, parseDtype } from './numpy-pickle';
import { NumpyArray, NumpyDtype, PyDict, PyGlobal, PyInstance, PyOpaque, PyTuple, type PyValue } from './py-value';

/**
 * The Python types besides tensors that training checkpoints hold (mmengine writes numpy
 * values, defaultdicts, Counters and MessageHub HistoryBuffers), decoded as data. Each
 * method returns undefined for what it does not handle, or an error text for a known name
 * used in a way it cannot be decoded; the caller refuses those. Nothing is imported or run.
 */
const NUMPY = ['numpy.core.multiarray', 'numpy._core.multiarray'];
const RECONSTRUCT = new Set(NUMPY.map((m) => `${m}._reconstruct`));
const SCALAR = new Set(NUMPY.map((m) => `${m}.scalar`));
const INERT = new Set([
  'numpy.ndarray', 'numpy.dtype', '_codecs.encode', 'collections.defaultdict', 'collections.Counter',
  'builtins.list', 'builtins.dict', 'builtins.set', 'builtins.frozenset', 'builtins.int', 'builtins.float', 'builtins.str', 'builtins.tuple', 'builtins.bool',
]);
/** Classes whose instance state is plain data, decoded as a dict of their attributes. */
const DATA_CLASSES = new Set(['mmengine.logging.history_buffer.HistoryBuffer']);

export type Outcome = PyValue | { error: string } | undefined;

/** Protocol-2 pickles name builtins by their Python 2 module, `__builtin__`. */
function canonical(qualified: string): string {
  return qualified.startsWith('__builtin__.') ? `builtins.${qualified.slice('__builtin__.'.length)}` : qualified;
}

export function isKnownName(name: string): boolean {
  const qualified = canonical(name);
  return INERT.has(qualified) || RECONSTRUCT.has(qualified) || SCALAR.has(qualified) || DATA_CLASSES.has(qualified);
}

export function reduceExtra(qualified: string, args: readonly PyValue[]): Outcome {
  const name = canonical(qualified);
  if (RECONSTRUCT.has(name)) {
    const ok = args.length === 3 && args[0] instanceof PyGlobal && args[0].qualifiedName === 'numpy.ndarray';
    return ok ? new NumpyArray('', [], []) : { error: 'numpy _reconstruct of something other than numpy.ndarray' };
  }
  if (SCALAR.has(name)) {
    const r = decodeScalar(args);
    return 'error' in r ? r : r.value;
  }
  switch (name) {
    case 'numpy.dtype': {
      const r = parseDtype(args[0]);
      return 'error' in r ? { error: `${r.error} (structured and exotic dtypes are not read)` } : r.value;
    }
    case '_codecs.encode': {
      // protocol-2 pickles write bytes as _codecs.encode(text, 'latin1')
      const [text, enc] = args;
      if (typeof text !== 'string' || (enc !== 'latin1' && enc !== 'latin-1')) return { error: '_codecs.encode other than (text, latin1)' };
      return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
    }
    case 'collections.defaultdict': {
      const factory = args[0];
      if (args.length > 1 || !(factory === undefined || factory === null || factory instanceof PyGlobal)) return { error: 'defaultdict with arguments other than a factory' };
      return new PyDict(false);
    }
    case 'collections.Counter':
      return counter(args);
    case 'builtins.set':
    case 'builtins.frozenset':
      return args.length === 0 ? [] : Array.isArray(args[0]) && args.length === 1 ? [...args[0]] : { error: 'set() of something other than a list' };
    default:
      return undefined;
  }
}

function counter(args: readonly PyValue[]): Outcome {
  const d = new PyDict(false);
  if (args.length === 0) return d;
  const src = args[0];
  if (args.length !== 1 || !(src instanceof PyDict)) return { error: 'Counter of something other than a dict' };
  for (const [k, v] of src.entries) d.entries.set(k, v);
  return d;
}

/** BUILD on a numpy value or a data-class instance; undefined when the target is not one. */
export function buildExtra(target: PyValue, state: PyValue): { error: string } | null | undefined {
  if (target instanceof NumpyArray) {
    const e = buildArray(target, state);
    return e ? { error: e } : null;
  }
  if (target instanceof NumpyDtype) {
    const e = buildDtype(target, state);
    return e ? { error: e } : null;
  }
  if (target instanceof PyOpaque) return null; // skipped: its state is dropped unread
  return undefined;
}

/** NEWOBJ: a data class becomes a dict (filled by BUILD), any other class an opaque value. */
export function newObjExtra(cls: PyGlobal, args: PyTuple): PyValue {
  if (DATA_CLASSES.has(cls.qualifiedName) && args.items.length === 0) return new PyInstance(cls.qualifiedName);
  return new PyOpaque(cls.qualifiedName);
}
