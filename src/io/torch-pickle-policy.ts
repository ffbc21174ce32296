import { FileError } from '../core/errors';
import type { StoredType } from './element-types';
import type { UnpicklePolicy } from './pickle-reader';
import { buildExtra, isKnownName, newObjExtra, reduceExtra } from './extra-pickle-types';
import { PyDict, PyGlobal, PyInstance, PyTuple, pyTypeName, StorageRef, TensorRef, type PyValue } from './py-value';
import { quoted } from './quote';

/** torch.<Name>Storage classes by name: the element type of their bytes. */
export const STORAGE_TYPES: Record<string, StoredType> = {
  FloatStorage: 'f32', DoubleStorage: 'f64', HalfStorage: 'f16', BFloat16Storage: 'bf16',
  LongStorage: 'i64', IntStorage: 'i32', ShortStorage: 'i16', CharStorage: 'i8', ByteStorage: 'u8', BoolStorage: 'bool',
};

const ORDERED_DICT = 'collections.OrderedDict';
const REBUILD_TENSOR_V2 = 'torch._utils._rebuild_tensor_v2';
const REBUILD_TENSOR = 'torch._utils._rebuild_tensor';
const REBUILD_PARAMETER = 'torch._utils._rebuild_parameter';
const CALLABLES = new Set([ORDERED_DICT, REBUILD_TENSOR_V2, REBUILD_TENSOR, REBUILD_PARAMETER]);

function isStorageName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(STORAGE_TYPES, name);
}

/** What torch.save writes for a persistent id. */
export type PersistentIdLayout = 'zip' | 'legacy';

/**
 * Modules whose names are refused on sight (GLOBAL), for a clear early message. Safety does not
 * rest on this list: no name is ever imported or called.
 */
const DENIED_MODULES = /^(os|posix|nt|subprocess|sys|builtins|__builtin__|importlib|runpy|shutil|socket|pickle|marshal|ctypes|code|pty|webbrowser|types|operator|functools|torch)(\.|$)/;

/**
 * What a checkpoint pickle may use: collections.OrderedDict, the torch._utils tensor and
 * parameter rebuild functions, torch.*Storage classes inside persistent ids, and the data types
 * of training checkpoints (numpy arrays, scalars and dtypes, defaultdict, Counter, sets, bytes,
 * MessageHub HistoryBuffers; see extra-pickle-types.ts). Each becomes an inert marker; "calls"
 * build plain JS values after checking every argument. A function call of any other name is
 * refused; an instance of any other class (NEWOBJ) is skipped — recorded in `skipped` so the
 * reader can warn — since its state is data that is dropped unread.
 */
export class TorchPicklePolicy implements UnpicklePolicy {
  /** Storage element counts by key, to check that every persistent id agrees about a storage. */
  readonly storages = new Map<string, { typeName: string; numel: number }>();

  /** Classes whose instances were skipped, by qualified name. */
  readonly skipped = new Set<string>();
  /** Names outside the known ones: usable only as a class to instantiate (and skip). */
  private readonly unknown = new Set<PyGlobal>();

  constructor(
    private readonly file: string,
    private readonly layout: PersistentIdLayout,
  ) {}

  global(module: string, name: string): PyValue {
    const qualified = `${module}.${name}`;
    const isStorage = module === 'torch' && isStorageName(name);
    const known = isStorage || CALLABLES.has(qualified) || isKnownName(qualified);
    if (!known && DENIED_MODULES.test(module)) this.refuseGlobal(qualified);
    const g = new PyGlobal(module, name);
    if (!known) this.unknown.add(g);
    return g;
  }

  private refuseGlobal(qualified: string): never {
    throw new FileError(
      this.file,
      `refused to load: the pickle asks for the Python global ${quoted(qualified)}; a checkpoint may only hold tensors, dicts, lists, tuples, strings, numbers and numpy values (nothing was executed). If you trust the file, re-save just its state_dict and meta with PyTorch`,
    );
  }

  reduce(callable: PyValue, args: PyTuple): PyValue {
    const name = callable instanceof PyGlobal ? callable.qualifiedName : '';
    if (callable instanceof PyGlobal && this.unknown.has(callable)) this.refuseGlobal(name);
    switch (name) {
      case ORDERED_DICT: return this.orderedDict(args.items);
      case REBUILD_TENSOR_V2: return this.rebuildTensor(args.items, 6, 7);
      case REBUILD_TENSOR: return this.rebuildTensor(args.items, 4, 4);
      case REBUILD_PARAMETER: return this.rebuildParameter(args.items);
    }
    const extra = name ? reduceExtra(name, args.items) : undefined;
    if (extra === undefined) return this.refuse(`a call of ${pyTypeName(callable)}`);
    if (extra !== null && typeof extra === 'object' && 'error' in extra && !(extra instanceof PyDict)) return this.refuse(extra.error);
    return extra as PyValue;
  }

  /** NEWOBJ `cls.__new__(cls, *args)`: a known data class, or a skipped instance. */
  newObj(cls: PyValue, args: PyTuple): PyValue {
    if (!(cls instanceof PyGlobal)) return this.refuse(`NEWOBJ of ${pyTypeName(cls)}`);
    const v = newObjExtra(cls, args);
    if (!(v instanceof PyInstance)) this.skipped.add(cls.qualifiedName);
    return v;
  }

  build(target: PyValue, state: PyValue): void {
    const extra = buildExtra(target, state);
    if (extra === null) return;
    if (extra) this.refuse(extra.error);
    if (!(target instanceof PyDict) || !(state instanceof PyDict)) {
      this.refuse(`BUILD of ${pyTypeName(target)} with ${pyTypeName(state)} state`);
    }
    for (const [k, v] of state.entries) {
      if (typeof k !== 'string') this.refuse(`an attribute named by ${typeof k}`);
      // a data-class instance is its attributes; OrderedDict.__reduce__ carries instance
      // attributes (a state_dict's `_metadata`) as BUILD state beside its items
      if (target instanceof PyInstance) target.entries.set(k, v);
      else target.attributes.set(k, v);
    }
  }

  persistentLoad(pid: PyValue): PyValue {
    const items = pid instanceof PyTuple ? pid.items : [];
    const expected = this.layout === 'zip' ? 5 : 6;
    if (items.length !== expected || items[0] !== 'storage') {
      return this.refuse(`a persistent id other than a tensor storage (${pyTypeName(pid)} of ${items.length} items)`);
    }
    const [, type, key, location, numel] = items;
    if (!(type instanceof PyGlobal) || type.module !== 'torch' || !isStorageName(type.name)) {
      return this.refuse(`a storage of type ${pyTypeName(type)}`);
    }
    if (typeof key !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(key) || key.startsWith('.')) {
      return this.corrupt(`invalid storage key ${quoted(String(key), 60)}`);
    }
    if (typeof location !== 'string') return this.corrupt('storage location is not a string');
    const n = this.count(numel, 'storage size');
    this.noteStorage(key, type.name, n);
    const storage = new StorageRef(type.name, STORAGE_TYPES[type.name], key, n);
    return this.layout === 'legacy' ? this.legacyView(storage, items[5]) : storage;
  }

  /** Legacy ids may name a view (view_key, offset, size) into the storage `key`. */
  private legacyView(root: StorageRef, view: PyValue): StorageRef {
    if (view === null) return root;
    const v = view instanceof PyTuple ? view.items : [];
    if (v.length !== 3 || typeof v[0] !== 'string') return this.corrupt('invalid storage view');
    const offset = this.count(v[1], 'storage view offset');
    const size = this.count(v[2], 'storage view size');
    if (offset + size > root.numel) this.corrupt(`storage view [${offset}, ${offset + size}) exceeds its storage of ${root.numel} elements`);
    return new StorageRef(root.typeName, root.type, root.key, size, offset);
  }

  private noteStorage(key: string, typeName: string, numel: number): void {
    const seen = this.storages.get(key);
    if (!seen) this.storages.set(key, { typeName, numel });
    else if (seen.typeName !== typeName || seen.numel !== numel) {
      this.corrupt(`storage '${key}' is declared as ${seen.typeName}(${seen.numel}) and as ${typeName}(${numel})`);
    }
  }

  private orderedDict(args: readonly PyValue[]): PyDict {
    const d = new PyDict(true);
    if (args.length === 0) return d;
    const pairs = args[0];
    if (args.length !== 1 || !Array.isArray(pairs)) return this.refuse('OrderedDict with arguments other than a list of pairs');
    for (const p of pairs) {
      const kv = p instanceof PyTuple ? p.items : Array.isArray(p) ? p : [];
      const k = kv[0];
      if (kv.length !== 2 || !(k === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof k))) {
        this.refuse('OrderedDict with an item that is not a (scalar key, value) pair');
      }
      d.entries.set(k as string, kv[1]);
    }
    return d;
  }

  private rebuildTensor(args: readonly PyValue[], min: number, max: number): TensorRef {
    if (args.length < min || args.length > max) this.corrupt(`tensor rebuilt from ${args.length} arguments`);
    const [storage, offset, size, stride, requiresGrad, hooks] = args;
    if (!(storage instanceof StorageRef)) return this.refuse(`a tensor built on ${pyTypeName(storage)} instead of a storage`);
    const shape = this.intTuple(size, 'tensor size');
    const strides = this.intTuple(stride, 'tensor stride');
    if (strides.length !== shape.length) this.corrupt(`tensor size ${shape.length}-d but stride ${strides.length}-d`);
    if (min === 6) {
      if (typeof requiresGrad !== 'boolean') this.corrupt('requires_grad is not a bool');
      if (!(hooks instanceof PyDict)) this.refuse(`backward hooks of type ${pyTypeName(hooks)}`);
    }
    return new TensorRef(storage, this.count(offset, 'storage offset'), shape, strides, requiresGrad === true);
  }

  private rebuildParameter(args: readonly PyValue[]): TensorRef {
    const [data, requiresGrad, hooks] = args;
    if (args.length !== 3 || !(data instanceof TensorRef) || typeof requiresGrad !== 'boolean' || !(hooks instanceof PyDict)) {
      return this.corrupt('a parameter that is not (tensor, requires_grad, hooks)');
    }
    return data.withRequiresGrad(requiresGrad);
  }

  private intTuple(v: PyValue, what: string): number[] {
    if (!(v instanceof PyTuple)) return this.corrupt(`${what} is ${pyTypeName(v)}, expected a tuple`);
    if (v.items.length > 64) this.corrupt(`${what} has ${v.items.length} dimensions`);
    return v.items.map((d) => this.count(d, what));
  }

  /** A non-negative int small enough to index memory. */
  private count(v: PyValue, what: string): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) return this.corrupt(`${what} ${String(v)} is not a valid count`);
    return v;
  }

  private refuse(what: string): never {
    throw new FileError(this.file, `refused to load: the pickle asks for ${what}; a checkpoint may only hold tensors, dicts, lists, tuples, strings and numbers (nothing was executed)`);
  }

  private corrupt(what: string): never {
    throw new FileError(this.file, `corrupt checkpoint: ${what}`);
  }
}
