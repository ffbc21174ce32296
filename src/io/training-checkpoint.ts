import { FileError } from '../core/errors';
import { hostTensor, type HostTensor } from '../core/host-tensor';
import { writeFileAtomic } from './atomic-write';
import { withFileSource } from './byte-source';
import { hrdetVersion, warnSkipped } from './checkpoint';
import { PickleDict, PickleFloat, PickleTensor, PickleTuple, pickle, type PickleValue } from './pickle-writer';
import { openPth, readPlain, type PthFile } from './pth';
import { PyDict, TensorRef, pyTypeName, type PyValue } from './py-value';
import { quoted } from './quote';
import { ZipWriter } from './zip-writer';

/** PyTorch's optimizer.state_dict() with host tensors. */
export interface OptimizerState {
  state: Map<number, Map<string, HostTensor>>;
  param_groups: Array<Record<string, unknown> & { params: number[] }>;
}

/**
 * A training checkpoint in mmengine's layout (Runner.save_checkpoint):
 *   { meta: {epoch, iter, seed, cfg, experiment_name, time, hrdet_version, ...},
 *     state_dict: OrderedDict, message_hub: {log_scalars, runtime_info, resumed_keys},
 *     optimizer: {state: {i: {...}}, param_groups: [...]}, param_schedulers: [...] }
 */
export interface TrainingCheckpoint {
  meta: Record<string, unknown>;
  stateDict: ReadonlyMap<string, HostTensor>;
  optimizer?: OptimizerState;
  paramSchedulers?: Record<string, unknown>[];
  /** mmengine MessageHub state: runtime_info written as given; log_scalars read back as dicts. */
  messageHub?: Record<string, unknown>;
  /** Other top-level entries (`ema_state_dict`, ..., or what other tools wrote), written and read back as given. */
  extra?: Record<string, unknown>;
}

/** Keys whose numbers are Python floats even when integral (lr = 1.0), in param groups and scheduler states. */
const FLOAT_KEYS = new Set([
  'lr', 'initial_lr', 'max_lr', 'min_lr', 'momentum', 'dampening', 'weight_decay', 'eps', 'betas', 'lr_mult', 'decay_mult',
  'base_values', '_last_value', 'gamma', 'start_factor', 'end_factor', 'factor', 'eta_min', 'eta_min_ratio', 'power', 'eta_max',
  'pct_start', 'div_factor', 'final_div_factor',
]);

/** Tuples in PyTorch's own param groups. */
const TUPLE_KEYS = new Set(['betas']);

// --- writing -----------------------------------------------------------------------------

/**
 * Save as a PyTorch zip `.pth` (archive/data.pkl, archive/data/<n>, archive/byteorder,
 * archive/version) that `torch.load(path, weights_only=True)` reads, atomically: a crash
 * leaves the previous file (or none), never a torn one.
 */
export async function saveTrainingCheckpoint(path: string, ckpt: TrainingCheckpoint): Promise<void> {
  const storages: HostTensor[] = [];
  const tensor = (t: HostTensor) => new PickleTensor(String(storages.push(t) - 1), t);
  const root: [string, PickleValue][] = [
    ['meta', toPickle({ hrdet_version: hrdetVersion(), ...ckpt.meta }, tensor)],
    ['state_dict', new PickleDict([...ckpt.stateDict].map(([k, t]) => [k, tensor(t)] as const), true)],
    ['message_hub', toPickle({ log_scalars: {}, runtime_info: {}, resumed_keys: {}, ...(ckpt.messageHub ?? {}) }, tensor)],
  ];
  if (ckpt.optimizer) root.push(['optimizer', optimizerToPickle(ckpt.optimizer, tensor)]);
  if (ckpt.paramSchedulers) root.push(['param_schedulers', ckpt.paramSchedulers.map((s) => toPickle(s, tensor))]);
  for (const [k, v] of Object.entries(ckpt.extra ?? {})) root.push([k, toPickle(v, tensor)]);
  const data = pickle(new PickleDict(root));
  await writeFileAtomic(path, async (out) => {
    const zip = new ZipWriter(out);
    await zip.add('archive/data.pkl', data);
    await zip.add('archive/byteorder', Buffer.from('little'));
    for (const [i, t] of storages.entries()) await zip.add(`archive/data/${i}`, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    await zip.add('archive/version', Buffer.from('3\n'));
    await zip.finish();
  });
}

function optimizerToPickle(o: OptimizerState, tensor: (t: HostTensor) => PickleTensor): PickleValue {
  const state = new PickleDict([...o.state].map(([i, s]) => [i, new PickleDict([...s].map(([k, t]) => [k, tensor(t)] as const))] as const));
  return new PickleDict([
    ['state', state],
    ['param_groups', o.param_groups.map((g) => toPickle(g, tensor))],
  ]);
}

/** Plain JS as pickle values: objects → dicts, arrays → lists (tuples for TUPLE_KEYS), FLOAT_KEYS as floats. */
function toPickle(v: unknown, tensor: (t: HostTensor) => PickleTensor, key = ''): PickleValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return FLOAT_KEYS.has(key) ? new PickleFloat(v) : v;
  if (typeof v === 'boolean' || typeof v === 'string' || typeof v === 'bigint') return v;
  if (Array.isArray(v)) {
    const items = v.map((x) => toPickle(x, tensor, key));
    return TUPLE_KEYS.has(key) ? new PickleTuple(items) : items;
  }
  if (isHostTensor(v)) return tensor(v);
  if (v instanceof Map) return new PickleDict([...v].map(([k, x]) => [k as string, toPickle(x, tensor, String(k))] as const));
  if (typeof v === 'object') return new PickleDict(Object.entries(v as object).map(([k, x]) => [k, toPickle(x, tensor, k)] as const));
  throw new Error(`cannot save a ${typeof v} in a checkpoint`);
}

function isHostTensor(v: unknown): v is HostTensor {
  return typeof v === 'object' && v !== null && 'dtype' in v && 'shape' in v && ArrayBuffer.isView((v as HostTensor).data);
}

// --- reading -----------------------------------------------------------------------------

export interface ReadTrainingCheckpointOptions {
  onWarning?: (message: string) => void;
}

/**
 * Read a training checkpoint completely: hrdet's own and mmengine's (numpy values decoded,
 * MessageHub HistoryBuffers as {max_length, _log_history, _count_history}, objects of unknown
 * classes skipped with a warning naming them). Nothing in the file is executed.
 */
export async function readTrainingCheckpoint(path: string, opts: ReadTrainingCheckpointOptions = {}): Promise<TrainingCheckpoint> {
  return withFileSource(path, async (src) => {
    const pth = await openPth(src);
    warnSkipped(pth, src.name, opts.onWarning);
    const root = pth.root;
    if (!(root instanceof PyDict)) throw new FileError(src.name, `not a training checkpoint: it holds a ${pyTypeName(root)}, expected a dict`);
    const sd = root.entries.get('state_dict');
    if (!(sd instanceof PyDict)) throw new FileError(src.name, "not a training checkpoint: no 'state_dict' dict");
    const plain = async (v: PyValue) => readPlain(pth, v, src.name);
    const ckpt: TrainingCheckpoint = { meta: {}, stateDict: await readStateDict(pth, sd, src.name) };
    const extra: Record<string, unknown> = {};
    for (const [k, v] of root.entries) {
      if (k === 'state_dict') continue;
      if (k === 'meta') ckpt.meta = (await plain(v)) as Record<string, unknown>;
      else if (k === 'optimizer') ckpt.optimizer = await readOptimizer(pth, v, src.name);
      else if (k === 'param_schedulers') ckpt.paramSchedulers = (await plain(v)) as Record<string, unknown>[];
      else if (k === 'message_hub') ckpt.messageHub = (await plain(v)) as Record<string, unknown>;
      else if (k === 'ema_state_dict' && v instanceof PyDict) extra.ema_state_dict = await readStateDict(pth, v, src.name); // mmengine's EMAHook: tensors by name
      else Object.defineProperty(extra, String(k), { value: await plain(v), enumerable: true, writable: true, configurable: true });
    }
    if (Object.keys(extra).length) ckpt.extra = extra;
    return ckpt;
  });
}

async function readStateDict(pth: PthFile, d: PyDict, file: string): Promise<Map<string, HostTensor>> {
  const out = new Map<string, HostTensor>();
  for (const [k, v] of d.entries) {
    if (typeof k !== 'string' || !(v instanceof TensorRef)) throw new FileError(file, `state_dict entry ${quoted(String(k))} is a ${pyTypeName(v)}, expected a tensor`);
    out.set(k, await pth.tensor(v));
  }
  return out;
}

async function readOptimizer(pth: PthFile, v: PyValue, file: string): Promise<OptimizerState> {
  const bad = (what: string): never => {
    throw new FileError(file, `corrupt optimizer state: ${what}`);
  };
  if (!(v instanceof PyDict)) return bad(`a ${pyTypeName(v)} instead of a dict`);
  const stateV = v.entries.get('state');
  const groups = await readPlain(pth, v.entries.get('param_groups') ?? null, file);
  if (!(stateV instanceof PyDict) || !Array.isArray(groups)) return bad("no 'state' dict or 'param_groups' list");
  const state = new Map<number, Map<string, HostTensor>>();
  for (const [i, entries] of stateV.entries) {
    if (typeof i !== 'number' || !(entries instanceof PyDict)) return bad(`state entry ${String(i)}`);
    const m = new Map<string, HostTensor>();
    for (const [k, t] of entries.entries) {
      if (t instanceof TensorRef) m.set(String(k), await pth.tensor(t));
      else if (typeof t === 'number') m.set(String(k), hostTensor('float32', [], Float32Array.of(t))); // torch < 1.12 kept `step` as a number
      else if (t !== null) return bad(`state ${i}.${String(k)} is a ${pyTypeName(t)}`);
    }
    state.set(i, m);
  }
  for (const g of groups) {
    if (typeof g !== 'object' || g === null || !Array.isArray((g as { params?: unknown }).params)) return bad('a param group without params');
  }
  return { state, param_groups: groups as OptimizerState['param_groups'] };
}
