import { allocate, type DType, type HostData } from '../core/host-tensor';

/**
 * Element types as they are stored in files (PyTorch storages, safetensors), and how each is
 * held in memory: float types widen to float32, int64 stays BigInt64Array, narrower signed
 * integers widen to int32.
 */
export type StoredType = 'f64' | 'f32' | 'f16' | 'bf16' | 'i64' | 'i32' | 'i16' | 'i8' | 'u8' | 'bool';

export const ITEM_SIZE: Record<StoredType, number> = {
  f64: 8, f32: 4, f16: 2, bf16: 2, i64: 8, i32: 4, i16: 2, i8: 1, u8: 1, bool: 1,
};

export const HOST_DTYPE: Record<StoredType, DType> = {
  f64: 'float32', f32: 'float32', f16: 'float32', bf16: 'float32',
  i64: 'int64', i32: 'int32', i16: 'int32', i8: 'int32', u8: 'uint8', bool: 'bool',
};

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverse the bytes of every element in place (big-endian files). */
export function swapBytes(bytes: Uint8Array, itemSize: number): void {
  if (itemSize === 1) return;
  for (let i = 0; i + itemSize <= bytes.length; i += itemSize) {
    for (let a = i, b = i + itemSize - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/**
 * A copy in a fresh ArrayBuffer of its own. (Buffer#slice, unlike Uint8Array#slice, returns a
 * view that shares memory, so `.slice()` cannot be trusted for that.)
 */
export function copyBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

/** IEEE half (binary16) bits to a JS number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A JS number to IEEE half bits, rounding to nearest even (used by tests and writers). */
export function floatToHalf(v: number): number {
  const f32 = new Float32Array([v]);
  const x = new Uint32Array(f32.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let h = m >> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

/**
 * Decode `count` little-endian elements of `type` into a fresh host array. `bytes` must hold
 * at least count * ITEM_SIZE[type] bytes (callers check sizes before reading).
 */
export function decodeElements(bytes: Uint8Array, type: StoredType, count: number): HostData {
  const n = count * ITEM_SIZE[type];
  // copy into a fresh, aligned buffer: file offsets need not be aligned to the element size
  const raw = copyBytes(bytes.subarray(0, n));
  if (!HOST_IS_LITTLE_ENDIAN) swapBytes(raw, ITEM_SIZE[type]);
  const buf = raw.buffer;
  switch (type) {
    case 'f32': return new Float32Array(buf, 0, count);
    case 'f64': return Float32Array.from(new Float64Array(buf, 0, count));
    case 'f16': {
      const src = new Uint16Array(buf, 0, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(src[i]);
      return out;
    }
    case 'bf16': {
      const src = new Uint16Array(buf, 0, count);
      const bits = new Uint32Array(count);
      for (let i = 0; i < count; i++) bits[i] = src[i] << 16;
      return new Float32Array(bits.buffer);
    }
    case 'i64': return new BigInt64Array(buf, 0, count);
    case 'i32': return new Int32Array(buf, 0, count);
    case 'i16': return Int32Array.from(new Int16Array(buf, 0, count));
    case 'i8': return Int32Array.from(new Int8Array(buf, 0, count));
    case 'u8': return new Uint8Array(buf, 0, count);
    case 'bool': {
      const out = new Uint8Array(buf, 0, count);
      for (let i = 0; i < count; i++) out[i] = out[i] ? 1 : 0;
      return out;
    }
  }
}

/** An empty host array of the in-memory type that `type` decodes to. */
export function allocateFor(type: StoredType, count: number): HostData {
  return allocate(HOST_DTYPE[type], count);
}
