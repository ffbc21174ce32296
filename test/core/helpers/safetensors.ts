import { readFileSync } from 'fs';

export interface StoredTensor {
  dtype: string;
  shape: number[];
  data: Float32Array | BigInt64Array | Uint8Array;
}

/** Minimal safetensors reader for reference fixtures: u64 LE header length, JSON header, raw data. */
export function readSafetensors(path: string): Map<string, StoredTensor> {
  const buf = readFileSync(path);
  const headerLen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + headerLen;
  const out = new Map<string, StoredTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = entry.data_offsets;
    // copy: typed arrays need aligned offsets
    const bytes = Uint8Array.prototype.slice.call(buf, base + begin, base + end).buffer;
    const data =
      entry.dtype === 'F32' ? new Float32Array(bytes) : entry.dtype === 'I64' ? new BigInt64Array(bytes) : new Uint8Array(bytes);
    out.set(name, { dtype: entry.dtype, shape: entry.shape, data });
  }
  return out;
}
