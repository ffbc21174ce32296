import { FileError } from '../core/errors';
import { allocate, type HostData, type HostTensor } from '../core/host-tensor';
import { checkRange, withFileSource, type ByteSource } from './byte-source';
import { copyBytes, decodeElements, HOST_DTYPE, ITEM_SIZE, swapBytes } from './element-types';
import { plainDataPolicy, TruncatedPickleError, unpickle } from './pickle-reader';
import { PlainConversionError, PyDict, StorageRef, TensorRef, toPlain, type PyValue } from './py-value';
import { STORAGE_TYPES, TorchPicklePolicy } from './torch-pickle-policy';
import { ZipArchive, type ZipEntry } from './zip-reader';
import { quoted } from './quote';

/**
 * PyTorch `.pth` files written by torch.save: the zip format (torch >= 1.6) and the legacy
 * format (a sequence of pickles followed by raw storages). The pickle is interpreted by the
 * restricted unpickler; tensor data is read on demand, so a caller that only wants the
 * state_dict never reads (or allocates) the rest of a training checkpoint.
 */
export interface PthFile {
  readonly format: 'zip' | 'legacy';
  /** The saved object; tensors appear as TensorRef until read with `tensor()`. */
  readonly root: PyValue;
  /** The data of one tensor, C-contiguous, float types as float32. */
  tensor(ref: TensorRef): Promise<HostTensor>;
  /** Python classes whose instances were skipped (unknown to hrdet; their state was not read). */
  readonly skipped: readonly string[];
}

/** Where the bytes of each storage are. */
interface StorageBytes {
  /** `count` elements starting at element `start` of the storage (view offsets applied), as stored. */
  read(storage: StorageRef, start: number, count: number): Promise<Uint8Array>;
  readonly littleEndian: boolean;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
/** torch.serialization.MAGIC_NUMBER, the first pickle of a legacy file. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

export function isZip(head: Uint8Array): boolean {
  return ZIP_MAGIC.every((b, i) => head[i] === b);
}

/** Protocol 2+ pickles start with PROTO n. */
export function isPickle(head: Uint8Array): boolean {
  return head[0] === 0x80 && head[1] >= 2 && head[1] <= 5;
}

export interface PthOptions {
  /**
   * Cap on the bytes all tensors read from this file may take in memory (default: 4x the file
   * size + 256 MiB). Shared storages, stride-0 views and half floats legitimately expand a
   * little; a pickle that references one storage thousands of times must not make the reader
   * allocate or copy without bound.
   */
  maxTensorBytes?: number;
}

export async function openPth(src: ByteSource, opts: PthOptions = {}): Promise<PthFile> {
  const head = await src.read(0, Math.min(4, src.size));
  const budget = opts.maxTensorBytes ?? 4 * src.size + 256 * 2 ** 20;
  if (isZip(head)) return openZipPth(src, budget);
  if (isPickle(head)) return openLegacyPth(src, budget);
  throw new FileError(src.name, 'not a PyTorch checkpoint (neither a zip nor a pickle file)');
}

/** Every tensor of a .pth file read into memory, the rest as plain JS (tests, tools). */
export async function readPth(path: string): Promise<unknown> {
  return withFileSource(path, async (src) => {
    const pth = await openPth(src);
    return readPlain(pth, pth.root, src.name);
  });
}

/**
 * `value` as plain JS (see toPlain) with its tensors read. Self-containing or absurdly nested
 * values are a FileError.
 */
export async function readPlain(pth: PthFile, value: PyValue, file: string, maxDepth = 1000): Promise<unknown> {
  try {
    const refs: TensorRef[] = [];
    toPlain(value, { tensor: (t) => refs.push(t), maxDepth });
    const read = new Map<TensorRef, HostTensor>();
    for (const r of refs) if (!read.has(r)) read.set(r, await pth.tensor(r));
    return toPlain(value, { tensor: (t) => read.get(t), maxDepth });
  } catch (e) {
    if (e instanceof PlainConversionError) throw new FileError(file, `unusable checkpoint content: ${e.message}`);
    throw e;
  }
}

// --- zip format ------------------------------------------------------------------------------

async function openZipPth(src: ByteSource, budget: number): Promise<PthFile> {
  const zip = await ZipArchive.open(src);
  const pkls = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1) {
    throw new FileError(src.name, `not a PyTorch zip checkpoint: expected one '<archive>/data.pkl', found ${pkls.length}`);
  }
  const prefix = pkls[0].slice(0, -'data.pkl'.length);
  const policy = new TorchPicklePolicy(src.name, 'zip');
  const { value } = unpickle(await zip.read(zip.entries.get(pkls[0])!), 0, src.name, policy);
  const littleEndian = await zipByteOrder(zip, prefix, src.name);
  const entries = new Map<string, ZipEntry>();
  for (const [key, s] of policy.storages) {
    const entry = zip.entries.get(`${prefix}data/${key}`);
    if (!entry) throw new FileError(src.name, `corrupt checkpoint: storage ${quoted(key)} has no entry ${quoted(`${prefix}data/${key}`)}`);
    const need = s.numel * ITEM_SIZE[STORAGE_TYPES[s.typeName]];
    if (entry.size < need) throw new FileError(src.name, `corrupt checkpoint: storage ${quoted(key)} needs ${need} bytes, its entry has ${entry.size}`);
    entries.set(key, entry);
  }
  const bytes: StorageBytes = {
    littleEndian,
    read: (s, start, count) => {
      const item = ITEM_SIZE[s.type];
      return zip.readRange(entries.get(s.key)!, (s.viewOffset + start) * item, count * item);
    },
  };
  return new Pth('zip', value, bytes, src, budget, [...policy.skipped]);
}

/** torch >= 2.1 records the byte order of the storages; older files are little-endian. */
async function zipByteOrder(zip: ZipArchive, prefix: string, file: string): Promise<boolean> {
  const entry = zip.entries.get(`${prefix}byteorder`);
  if (!entry) return true;
  const text = Buffer.from(await zip.read(entry)).toString('latin1').trim();
  if (text !== 'little' && text !== 'big') throw new FileError(file, `corrupt checkpoint: byteorder ${quoted(text, 20)}`);
  return text === 'little';
}

// --- legacy format ---------------------------------------------------------------------------

interface LegacyHeader {
  root: PyValue;
  keys: string[];
  dataStart: number;
  littleEndian: boolean;
  policy: TorchPicklePolicy;
}

async function openLegacyPth(src: ByteSource, budget: number): Promise<PthFile> {
  const header = await readLegacyHeader(src);
  const offsets = await locateLegacyStorages(src, header);
  const bytes: StorageBytes = {
    littleEndian: header.littleEndian,
    read: (s, start, count) => {
      const item = ITEM_SIZE[s.type];
      return src.read(offsets.get(s.key)! + (s.viewOffset + start) * item, count * item);
    },
  };
  return new Pth('legacy', header.root, bytes, src, budget, [...header.policy.skipped]);
}

/** The pickles sit at the start of the file; read a window and widen it until they fit. */
async function readLegacyHeader(src: ByteSource): Promise<LegacyHeader> {
  for (let window = Math.min(src.size, 1 << 20); ; window = Math.min(src.size, window * 8)) {
    try {
      return parseLegacyPickles(await src.read(0, window), src.name);
    } catch (e) {
      if (!(e instanceof TruncatedPickleError) || window >= src.size) throw e;
    }
  }
}

function parseLegacyPickles(bytes: Uint8Array, file: string): LegacyHeader {
  const plain = plainDataPolicy(file);
  const magic = unpickle(bytes, 0, file, plain);
  if (magic.value !== LEGACY_MAGIC) throw new FileError(file, 'not a PyTorch checkpoint: a pickle file without the torch.save magic number');
  const protocol = unpickle(bytes, magic.end, file, plain);
  if (protocol.value !== LEGACY_PROTOCOL) throw new FileError(file, `unsupported legacy checkpoint protocol ${String(protocol.value)}`);
  const sysInfo = unpickle(bytes, protocol.end, file, plain);
  const littleEndian = !(sysInfo.value instanceof PyDict && sysInfo.value.entries.get('little_endian') === false);
  const policy = new TorchPicklePolicy(file, 'legacy');
  const root = unpickle(bytes, sysInfo.end, file, policy);
  const keys = unpickle(bytes, root.end, file, plain);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) {
    throw new FileError(file, 'corrupt legacy checkpoint: the storage key list is not a list of strings');
  }
  return { root: root.value, keys: keys.value as string[], dataStart: keys.end, littleEndian, policy };
}

/** Each storage: an int64 element count, then its raw bytes, in the order of the key list. */
async function locateLegacyStorages(src: ByteSource, h: LegacyHeader): Promise<Map<string, number>> {
  const offsets = new Map<string, number>();
  let pos = h.dataStart;
  for (const key of h.keys) {
    const decl = h.policy.storages.get(key);
    if (!decl) throw new FileError(src.name, `corrupt legacy checkpoint: storage ${quoted(key)} is listed but no tensor uses it`);
    if (offsets.has(key)) throw new FileError(src.name, `corrupt legacy checkpoint: storage ${quoted(key)} is listed twice`);
    checkRange(src.name, src.size, pos, 8, `the size of storage ${quoted(key)}`);
    const b = await src.read(pos, 8);
    const count = new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, h.littleEndian);
    if (count !== BigInt(decl.numel)) {
      throw new FileError(src.name, `corrupt legacy checkpoint: storage ${quoted(key)} holds ${count} elements, its tensors expect ${decl.numel}`);
    }
    const length = decl.numel * ITEM_SIZE[STORAGE_TYPES[decl.typeName]];
    checkRange(src.name, src.size, pos + 8, length, `the data of storage ${quoted(key)}`);
    offsets.set(key, pos + 8);
    pos += 8 + length;
  }
  for (const key of h.policy.storages.keys()) {
    if (!offsets.has(key)) throw new FileError(src.name, `corrupt legacy checkpoint: storage ${quoted(key)} has no data`);
  }
  return offsets;
}

// --- tensors ---------------------------------------------------------------------------------

class Pth implements PthFile {
  /** Bytes the tensors read so far take in memory, against the budget. */
  private spent = 0;
  private readonly cache = new Map<TensorRef, HostTensor>();

  constructor(
    readonly format: 'zip' | 'legacy',
    readonly root: PyValue,
    private readonly bytes: StorageBytes,
    private readonly src: ByteSource,
    private readonly budget: number,
    readonly skipped: readonly string[],
  ) {}

  async tensor(ref: TensorRef): Promise<HostTensor> {
    const hit = this.cache.get(ref);
    if (hit) return hit;
    const t = await this.materialise(ref);
    this.cache.set(ref, t);
    return t;
  }

  private async materialise(ref: TensorRef): Promise<HostTensor> {
    const { storage, offset, shape, stride } = ref;
    const dtype = HOST_DTYPE[storage.type];
    let n = 1;
    for (const d of shape) n *= d;
    if (n === 0) {
      if (offset > storage.numel) this.corrupt(`a tensor starts at element ${offset} of a storage of ${storage.numel}`);
      return { dtype, shape: [...shape], data: allocate(dtype, 0) };
    }
    let last = offset;
    for (let i = 0; i < shape.length; i++) last += (shape[i] - 1) * stride[i];
    if (!Number.isSafeInteger(n) || !Number.isSafeInteger(last) || last >= storage.numel) {
      this.corrupt(`a tensor of size [${shape.join(', ')}], stride [${stride.join(', ')}] at offset ${offset} reads past its storage of ${storage.numel} elements`);
    }
    // a strided view decodes the storage span it walks, so that is what it costs
    const span = last - offset + 1;
    this.charge(Math.max(n, span) * (dtype === 'int64' ? 8 : dtype === 'float32' || dtype === 'int32' ? 4 : 1));
    const raw = await this.bytes.read(storage, offset, span);
    const ordered = this.bytes.littleEndian ? raw : swapped(raw, ITEM_SIZE[storage.type]);
    const src = decodeElements(ordered, storage.type, span);
    const data = isContiguous(shape, stride) ? src : gather(src, shape, stride, n);
    return { dtype, shape: [...shape], data };
  }

  private charge(bytes: number): void {
    this.spent += bytes;
    if (this.spent > this.budget) {
      this.corrupt(`its tensors would take more than ${Math.round(this.budget / 2 ** 20)} MiB for a ${this.src.size}-byte file (storages referenced over and over)`);
    }
  }

  private corrupt(detail: string): never {
    throw new FileError(this.src.name, `corrupt checkpoint: ${detail}`);
  }
}

function swapped(raw: Uint8Array, itemSize: number): Uint8Array {
  const copy = copyBytes(raw);
  swapBytes(copy, itemSize);
  return copy;
}

/** Row-major with no gaps (size-1 dimensions may have any stride). */
export function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/** Copy a strided view (element 0 at src[0]) into a fresh C-contiguous array. */
export function gather(src: HostData, shape: readonly number[], stride: readonly number[], n: number): HostData {
  const out = allocate(src instanceof BigInt64Array ? 'int64' : src instanceof Float32Array ? 'float32' : src instanceof Int32Array ? 'int32' : 'uint8', n);
  const from = src as unknown as { [i: number]: number };
  const to = out as unknown as { [i: number]: number };
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    to[i] = from[pos];
    // odometer over the dimensions, innermost first
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) {
        pos += stride[d];
        break;
      }
      pos -= (shape[d] - 1) * stride[d];
      idx[d] = 0;
    }
  }
  return out;
}
