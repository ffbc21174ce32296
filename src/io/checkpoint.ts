import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FileError, UserError } from '../core/errors';
import type { HostTensor } from '../core/host-tensor';
import type { StateDict } from '../core/module';
import { withFileSource, type ByteSource } from './byte-source';
import { applyKeyMap, type KeyMap, type KeyMapRule } from './key-map';
import { PyDict, TensorRef, pyTypeName } from './py-value';
import { isPickle, isZip, openPth, readPlain, type PthFile } from './pth';
import { readSafetensorsFrom, writeSafetensors } from './safetensors';
import { quoted } from './quote';

/**
 * Checkpoints in, checkpoints out. Reading takes PyTorch `.pth` (zip or legacy; plain state
 * dicts and mmdetection/mmpose/mmseg `{meta, state_dict}` wrappers) and safetensors, decided by
 * content, not by extension. Writing is always safetensors with hrdet's metadata block:
 *
 *   __metadata__ = { format: 'hrdet', hrdet_version, meta: JSON, config?: JSON }
 */
export interface Checkpoint {
  /** Tensors in the checkpoint's own order, `module.` (DataParallel) prefixes removed. */
  stateDict: StateDict;
  /** Training state and provenance: the wrapper's `meta` (plus its scalar top-level entries) or hrdet's meta block. */
  meta: Record<string, unknown>;
  format: CheckpointFormat;
}

export type CheckpointFormat = 'pth-zip' | 'pth-legacy' | 'safetensors';

export interface LoadCheckpointOptions {
  /** Rename keys after unwrapping (see key-map.ts). */
  keyMap?: KeyMap | readonly KeyMapRule[];
  /** Where warnings go (objects of unknown Python classes that were skipped); default: stderr. */
  onWarning?: (message: string) => void;
}

/** One line naming the classes a .pth file held objects of that were skipped unread. */
export function skippedWarning(file: string, skipped: readonly string[]): string {
  return `${file}: skipped objects of Python classes hrdet does not read (their content was ignored, nothing was executed): ${skipped.join(', ')}`;
}

export function warnSkipped(pth: PthFile, file: string, onWarning?: (message: string) => void): void {
  if (pth.skipped.length === 0) return;
  (onWarning ?? ((m: string) => process.stderr.write(`warning: ${m}\n`)))(skippedWarning(file, pth.skipped));
}

/** Entries of a training checkpoint that hold state dicts or optimizer state, never meta. */
const NOT_META = new Set(['state_dict', 'model', 'meta', 'optimizer', 'state_dict_ema', 'ema_state_dict', 'message_hub', 'param_schedulers', 'lr_scheduler', 'scheduler', 'amp', 'scaler']);

export async function loadCheckpoint(path: string, opts: LoadCheckpointOptions = {}): Promise<Checkpoint> {
  return withFileSource(path, (src) => loadCheckpointFrom(src, opts));
}

/** loadCheckpoint on any byte source (an in-memory copy, for instance). */
export async function loadCheckpointFrom(src: ByteSource, opts: LoadCheckpointOptions = {}): Promise<Checkpoint> {
  const format = await detectCheckpointFormat(src);
  const ckpt = format === 'safetensors' ? await loadSafetensorsCheckpoint(src) : await loadPthCheckpoint(src, opts.onWarning);
  if (opts.keyMap) ckpt.stateDict = applyKeyMap(ckpt.stateDict, opts.keyMap, src.name);
  return ckpt;
}

/** Which reader a file needs, by its first bytes. */
export async function detectCheckpointFormat(src: ByteSource): Promise<'zip' | 'pickle' | 'safetensors'> {
  if (src.size === 0) throw new FileError(src.name, 'empty file, not a checkpoint');
  const head = await src.read(0, Math.min(src.size, 512));
  if (isZip(head)) return 'zip';
  if (isPickle(head)) return 'pickle';
  if (head.length > 8 && head[8] === 0x7b) {
    const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
    if (n <= BigInt(src.size - 8)) return 'safetensors';
  }
  if (head.length >= 262 && Buffer.from(head.subarray(257, 262)).toString('latin1') === 'ustar') {
    throw new FileError(src.name, 'a tar-based PyTorch checkpoint (saved before PyTorch 0.4) is not supported; re-save it with a recent PyTorch');
  }
  throw new FileError(src.name, 'not a checkpoint: expected a PyTorch .pth file (zip or legacy pickle) or a .safetensors file');
}

// --- .pth ------------------------------------------------------------------------------------

async function loadPthCheckpoint(src: ByteSource, onWarning?: (message: string) => void): Promise<Checkpoint> {
  const pth = await openPth(src);
  warnSkipped(pth, src.name, onWarning);
  const root = pth.root;
  if (!(root instanceof PyDict)) throw new FileError(src.name, `not a checkpoint: it holds a ${pyTypeName(root)}, expected a dict of tensors`);
  const { dict, wrapped } = findStateDict(root, src.name);
  const stateDict: StateDict = new Map();
  for (const [k, v] of dict.entries) {
    if (typeof k !== 'string') throw new FileError(src.name, `state_dict key ${quoted(String(k))} is not a string`);
    if (!(v instanceof TensorRef)) throw new FileError(src.name, `state_dict entry ${quoted(k)} is a ${pyTypeName(v)}, expected a tensor`);
    const name = stripDataParallel(k);
    if (stateDict.has(name)) throw new FileError(src.name, `state_dict has ${quoted(name)} both with and without the 'module.' prefix`);
    stateDict.set(name, await pth.tensor(v));
  }
  const meta = wrapped ? await wrapperMeta(root, pth, src.name) : {};
  return { stateDict, meta, format: pth.format === 'zip' ? 'pth-zip' : 'pth-legacy' };
}

/** The state dict itself, or the one under `state_dict` / `model` of a training checkpoint. */
function findStateDict(root: PyDict, file: string): { dict: PyDict; wrapped: boolean } {
  for (const key of ['state_dict', 'model']) {
    const v = root.entries.get(key);
    if (v instanceof PyDict) return { dict: v, wrapped: true };
  }
  const values = [...root.entries.values()];
  if (values.every((v) => v instanceof TensorRef)) return { dict: root, wrapped: false };
  const keys = [...root.entries.keys()].slice(0, 8).map((k) => quoted(String(k), 40)).join(', ');
  throw new FileError(file, `no state_dict in this checkpoint (top-level keys: ${keys}); expected a dict of tensors or one with 'state_dict' or 'model'`);
}

/** mmengine's default `revise_keys`: a leading `module.` comes from (Distributed)DataParallel. */
function stripDataParallel(key: string): string {
  return key.startsWith('module.') ? key.slice('module.'.length) : key;
}

async function wrapperMeta(root: PyDict, pth: PthFile, file: string): Promise<Record<string, unknown>> {
  const meta: Record<string, unknown> = {};
  // defineProperty, not assignment: a key named `__proto__` must stay a plain entry
  const put = (k: string, v: unknown) => Object.defineProperty(meta, k, { value: v, enumerable: true, writable: true, configurable: true });
  const inner = root.entries.get('meta');
  if (inner instanceof PyDict) for (const [k, v] of Object.entries(await readPlain(pth, inner, file, 200) as object)) put(k, v);
  for (const [k, v] of root.entries) {
    const scalar = v === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof v);
    if (typeof k === 'string' && !NOT_META.has(k) && scalar && !Object.prototype.hasOwnProperty.call(meta, k)) put(k, v);
  }
  return meta;
}

// --- safetensors -----------------------------------------------------------------------------

async function loadSafetensorsCheckpoint(src: ByteSource): Promise<Checkpoint> {
  const { tensors, metadata } = await readSafetensorsFrom(src);
  const stateDict: StateDict = new Map();
  for (const [k, t] of tensors) stateDict.set(stripDataParallel(k), t);
  return { stateDict, meta: decodeMeta(metadata, src.name), format: 'safetensors' };
}

function decodeMeta(metadata: Record<string, string>, file: string): Record<string, unknown> {
  if (metadata.format !== 'hrdet') return { ...metadata };
  const parse = (key: string): unknown => {
    try {
      return JSON.parse(metadata[key]);
    } catch {
      throw new FileError(file, `corrupt hrdet checkpoint: metadata ${quoted(key)} is not JSON`);
    }
  };
  const meta: Record<string, unknown> = metadata.meta !== undefined ? (parse('meta') as Record<string, unknown>) : {};
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new FileError(file, "corrupt hrdet checkpoint: metadata 'meta' is not a JSON object");
  if (metadata.config !== undefined) meta.config = parse('config');
  if (metadata.hrdet_version !== undefined) meta.hrdet_version = metadata.hrdet_version;
  return meta;
}

/**
 * Save a state dict and its meta as an hrdet checkpoint (safetensors, written atomically).
 * `meta.config`, when present, is stored as its own JSON block; the rest of `meta` (training
 * state: epoch, iteration, optimizer settings, ...) as another. Both must be JSON-serialisable.
 */
export async function saveCheckpoint(path: string, stateDict: ReadonlyMap<string, HostTensor>, meta: Record<string, unknown> = {}): Promise<void> {
  const { config, ...rest } = meta;
  const metadata: Record<string, string> = { format: 'hrdet', hrdet_version: hrdetVersion(), meta: toJson(rest, 'meta') };
  if (config !== undefined) metadata.config = toJson(config, 'config');
  await writeSafetensors(path, new Map(stateDict), metadata);
}

function toJson(v: unknown, what: string): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x));
  } catch (e) {
    throw new UserError(`checkpoint ${what} cannot be saved as JSON: ${(e as Error).message}`);
  }
}

let cachedVersion: string | undefined;

/** hrdet's version from its package.json (found upwards from this file, in src/ and dist/src/ alike). */
export function hrdetVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  cachedVersion = 'unknown';
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf-8')) as { name?: string; version?: string };
      if (pkg.name === 'hrdet' && pkg.version) {
        cachedVersion = pkg.version;
        break;
      }
    }
    if (dirname(dir) === dir) break;
  }
  return cachedVersion;
}
