import { ConfigError, FileError, UserError } from '../core/errors';
import { Boxes } from '../structures/boxes';
import { ClsDataSample } from '../structures/cls-data-sample';
import { DetDataSample } from '../structures/det-data-sample';
import { InstanceData } from '../structures/instance-data';
import { BitmapMasks } from '../structures/masks';
import { PixelData } from '../structures/pixel-data';
import { PoseDataSample } from '../structures/pose-data-sample';
import { SegDataSample } from '../structures/seg-data-sample';

/**
 * Packed samples cross a thread boundary by structured clone, which keeps typed arrays, plain
 * objects, Maps and Sets but drops class prototypes. The structures the pipelines produce are
 * tagged with their class name on the way out and given their prototype back on the way in;
 * their state is their own fields, so nothing else is needed.
 */
const CLASSES: Record<string, { prototype: object }> = {
  Boxes,
  BitmapMasks,
  InstanceData,
  PixelData,
  DetDataSample,
  PoseDataSample,
  SegDataSample,
  ClsDataSample,
};
const BY_PROTO = new Map<object, string>(Object.entries(CLASSES).map(([k, c]) => [c.prototype, k]));
const TAG = '__hrdet_class__';

/** Thrown when a value has a class the other thread could not rebuild. */
export class NotTransferable extends Error {}

/** A structured-clone-safe copy of `v` (typed arrays are shared, not copied, until posted). */
export function encodeForTransfer(v: unknown, at = 'sample'): unknown {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'function' || typeof v === 'symbol') throw new NotTransferable(`${at} is a ${typeof v}`);
    return v;
  }
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp) return v;
  if (Array.isArray(v)) return v.map((x, i) => encodeForTransfer(x, `${at}[${i}]`));
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, encodeForTransfer(x, `${at}.${String(k)}`)]));
  if (v instanceof Set) return new Set([...v].map((x) => encodeForTransfer(x, at)));
  const proto = Object.getPrototypeOf(v);
  const fields: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) fields[k] = encodeForTransfer(x, `${at}.${k}`);
  if (proto === Object.prototype || proto === null) return fields;
  const name = BY_PROTO.get(proto);
  if (!name) throw new NotTransferable(`${at} is a ${(v as object).constructor?.name ?? 'class instance'}, which a worker thread cannot hand back`);
  return { [TAG]: name, fields };
}

/** The value `encodeForTransfer` made, with its classes restored. */
export function decodeTransfer(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp) return v;
  if (Array.isArray(v)) return v.map(decodeTransfer);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, decodeTransfer(x)]));
  if (v instanceof Set) return new Set([...v].map(decodeTransfer));
  const o = v as Record<string, unknown>;
  if (typeof o[TAG] === 'string') {
    const out = Object.create(CLASSES[o[TAG] as string].prototype) as Record<string, unknown>;
    for (const [k, x] of Object.entries(o.fields as Record<string, unknown>)) out[k] = decodeTransfer(x);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = decodeTransfer(x);
  return out;
}

/**
 * The buffers of the big typed arrays in `v` that can be moved rather than copied: those a
 * view covers whole (a slice of Node's shared Buffer pool must be copied).
 */
export function transferables(v: unknown, out = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (v === null || typeof v !== 'object') return [...out];
  if (ArrayBuffer.isView(v)) {
    const b = v.buffer;
    if (b instanceof ArrayBuffer && !Buffer.isBuffer(v) && v.byteOffset === 0 && v.byteLength === b.byteLength && b.byteLength >= 4096) out.add(b);
    return [...out];
  }
  const kids = Array.isArray(v) ? v : v instanceof Map ? [...v.values()] : v instanceof Set ? [...v] : Object.values(v);
  for (const x of kids) transferables(x, out);
  return [...out];
}

/** An error as plain data: the user errors keep their class and fields. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  file?: string;
  configPath?: string;
  detail?: string;
  /** An instance of UserError (of whatever subclass). */
  user?: boolean;
}

export function serializeError(e: unknown): SerializedError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const { name, message, stack } = e;
  const extra = e as Partial<FileError & ConfigError>;
  return { name, message, stack, file: extra.file, configPath: extra.configPath, detail: extra.detail, user: e instanceof UserError };
}

/** The same error again: a UserError stays one (same class, same one-line message). */
export function reviveError(s: SerializedError): Error {
  if (s.name === 'FileError' && s.file !== undefined) return withMessage(new FileError(s.file, ''), s.message);
  if (s.name === 'ConfigError') return withMessage(new ConfigError(s.configPath ?? '', s.detail ?? '', s.file), s.message);
  if (s.user) {
    const u = new UserError(s.message);
    u.name = s.name;
    return u;
  }
  const e = new Error(s.message);
  e.name = s.name;
  if (s.stack) e.stack = `${s.stack}\n    (in a data loader worker thread)`;
  return e;
}

function withMessage<E extends Error>(e: E, message: string): E {
  e.message = message;
  return e;
}
