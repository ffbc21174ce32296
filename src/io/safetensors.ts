import { FileError } from '../core/errors';
import { numel, shapeString, type DType, type HostTensor } from '../core/host-tensor';
import { writeFileAtomic } from './atomic-write';
import { BufferSource, withFileSource, type ByteSource } from './byte-source';
import { decodeElements, HOST_DTYPE, ITEM_SIZE, type StoredType } from './element-types';
import { quoted } from './quote';

/**
 * safetensors (https://github.com/huggingface/safetensors): u64 little-endian header length N,
 * N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}}`
 * padded with spaces to a multiple of 8, then the tensors back to back, offsets relative to the
 * end of the header.
 */
export interface SafetensorsFile {
  /** Tensors in file order (the order of their data, which is also the header order when written here). */
  tensors: Map<string, HostTensor>;
  metadata: Record<string, string>;
}

/** The same cap as the reference implementation: a header is never allowed to be larger. */
const MAX_HEADER_BYTES = 100_000_000;

const FROM_FILE: Record<string, StoredType> = {
  F64: 'f64', F32: 'f32', F16: 'f16', BF16: 'bf16', I64: 'i64', I32: 'i32', I16: 'i16', I8: 'i8', U8: 'u8', BOOL: 'bool',
};

const TO_FILE: Record<DType, string> = { float32: 'F32', int32: 'I32', int64: 'I64', uint8: 'U8', bool: 'BOOL' };

interface Entry {
  name: string;
  type: StoredType;
  shape: number[];
  begin: number;
  end: number;
}

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  return withFileSource(path, readSafetensorsFrom);
}

/** Parse a safetensors file held in memory (`name` is used in error messages). */
export async function parseSafetensors(bytes: Uint8Array, name = '<buffer>'): Promise<SafetensorsFile> {
  return readSafetensorsFrom(new BufferSource(name, bytes));
}

export async function readSafetensorsFrom(src: ByteSource): Promise<SafetensorsFile> {
  const { entries, metadata, dataStart } = await readHeader(src);
  const tensors = new Map<string, HostTensor>();
  for (const e of entries) {
    const bytes = await src.read(dataStart + e.begin, e.end - e.begin);
    const data = decodeElements(bytes, e.type, numel(e.shape));
    tensors.set(e.name, { dtype: HOST_DTYPE[e.type], shape: e.shape, data });
  }
  return { tensors, metadata };
}

/** Only the header: names, stored dtypes and shapes, in data order (cheap on big files). */
export async function readSafetensorsHeader(path: string): Promise<{ tensors: { name: string; dtype: string; shape: number[] }[]; metadata: Record<string, string> }> {
  return withFileSource(path, async (src) => {
    const { entries, metadata } = await readHeader(src);
    const names = Object.fromEntries(Object.entries(FROM_FILE).map(([k, v]) => [v, k]));
    return { tensors: entries.map((e) => ({ name: e.name, dtype: names[e.type], shape: e.shape })), metadata };
  });
}

async function readHeader(src: ByteSource): Promise<{ entries: Entry[]; metadata: Record<string, string>; dataStart: number }> {
  const bad = (detail: string) => new FileError(src.name, `not a valid safetensors file: ${detail}`);
  if (src.size < 8) throw bad(`${src.size} bytes, too short for a header`);
  const lenBytes = await src.read(0, 8);
  const headerLen = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLen > BigInt(Math.min(MAX_HEADER_BYTES, src.size - 8))) {
    throw bad(`declared header length ${headerLen} exceeds the file (${src.size} bytes) or the 100 MB limit`);
  }
  const n = Number(headerLen);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await src.read(8, n)));
  } catch {
    throw bad('header is not UTF-8 JSON');
  }
  if (!isPlainObject(json)) throw bad('header is not a JSON object');
  const dataStart = 8 + n;
  const metadata = parseMetadata(json.__metadata__, bad);
  const entries: Entry[] = [];
  for (const [name, v] of Object.entries(json)) {
    if (name !== '__metadata__') entries.push(parseEntry(name, v, bad));
  }
  checkCoverage(entries, src.size - dataStart, bad);
  return { entries, metadata, dataStart };
}

function parseMetadata(v: unknown, bad: (d: string) => FileError): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isPlainObject(v)) throw bad('"__metadata__" is not an object');
  const out: Record<string, string> = {};
  for (const [k, s] of Object.entries(v)) {
    if (typeof s !== 'string') throw bad(`"__metadata__" value of ${quoted(k)} is not a string`);
    out[k] = s;
  }
  return out;
}

function parseEntry(name: string, v: unknown, bad: (d: string) => FileError): Entry {
  if (!isPlainObject(v)) throw bad(`entry ${quoted(name)} is not an object`);
  const { dtype, shape, data_offsets: offsets } = v;
  if (typeof dtype !== 'string' || !(dtype in FROM_FILE)) {
    throw bad(`tensor ${quoted(name)} has dtype ${quoted(String(JSON.stringify(dtype)), 20)}; supported: ${Object.keys(FROM_FILE).join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw bad(`tensor ${quoted(name)} has an invalid shape ${quoted(String(JSON.stringify(shape)), 60)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0) || offsets[1] < offsets[0]) {
    throw bad(`tensor ${quoted(name)} has invalid data_offsets ${quoted(String(JSON.stringify(offsets)), 60)}`);
  }
  const type = FROM_FILE[dtype];
  const count = numel(shape);
  const expected = count * ITEM_SIZE[type];
  if (!Number.isSafeInteger(expected) || expected !== offsets[1] - offsets[0]) {
    throw bad(`tensor ${quoted(name)} ${dtype} ${shapeString(shape)} needs ${expected} bytes but data_offsets span ${offsets[1] - offsets[0]}`);
  }
  return { name, type, shape: shape as number[], begin: offsets[0], end: offsets[1] };
}

/** Tensors must tile the data buffer exactly (no gaps, no overlaps, nothing past the end). */
function checkCoverage(entries: Entry[], dataBytes: number, bad: (d: string) => FileError): void {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of entries) {
    if (e.begin !== pos) {
      throw bad(`tensor ${quoted(e.name)} starts at byte ${e.begin} of the data, expected ${pos} (tensors must be stored back to back)`);
    }
    pos = e.end;
  }
  if (pos !== dataBytes) throw bad(`tensor data covers ${pos} bytes but the file holds ${dataBytes} after the header`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// --- writing ---------------------------------------------------------------------------------

export type TensorSet = Map<string, HostTensor> | Record<string, HostTensor>;

/** The header bytes (length prefix included) for `tensors` stored back to back in the given order. */
export function encodeSafetensorsHeader(tensors: TensorSet, metadata: Record<string, string> = {}, file = '<output>'): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new FileError(file, `metadata value ${quoted(k)} must be a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [name, t] of entriesOf(tensors)) {
    checkWritable(name, t, file);
    const bytes = t.data.byteLength;
    header[name] = { dtype: TO_FILE[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf-8');
  const padded = Math.ceil(json.length / 8) * 8;
  const out = Buffer.alloc(8 + padded, 0x20);
  out.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(out, 8);
  return out;
}

/** A whole safetensors file in memory (small files, tests). */
export function encodeSafetensors(tensors: TensorSet, metadata: Record<string, string> = {}): Uint8Array {
  const parts = [encodeSafetensorsHeader(tensors, metadata), ...[...entriesOf(tensors)].map(([, t]) => tensorBytes(t))];
  return Buffer.concat(parts);
}

/** Write `tensors` (in the given order) atomically: a crash leaves the previous file intact. */
export async function writeSafetensors(path: string, tensors: TensorSet, metadata: Record<string, string> = {}): Promise<void> {
  const header = encodeSafetensorsHeader(tensors, metadata, path);
  await writeFileAtomic(path, async (out) => {
    await out.write(header);
    for (const [, t] of entriesOf(tensors)) await out.write(tensorBytes(t));
  });
}

function entriesOf(tensors: TensorSet): Iterable<[string, HostTensor]> {
  return tensors instanceof Map ? tensors : Object.entries(tensors);
}

function checkWritable(name: string, t: HostTensor, file: string): void {
  if (name === '__metadata__' || name.length === 0) throw new FileError(file, `${quoted(name)} cannot be used as a tensor name`);
  if (!(t.dtype in TO_FILE)) throw new FileError(file, `tensor ${quoted(name)} has unsupported dtype ${String(t.dtype)}`);
  if (t.data.length !== numel(t.shape)) {
    throw new FileError(file, `tensor ${quoted(name)} has shape ${shapeString(t.shape)} but ${t.data.length} values`);
  }
}

function tensorBytes(t: HostTensor): Uint8Array {
  const view = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  if (t.dtype !== 'bool') return view;
  // safetensors BOOL is one byte that must be 0 or 1
  return view.map((b) => (b ? 1 : 0));
}
