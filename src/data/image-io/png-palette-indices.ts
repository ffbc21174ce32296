import { inflateSync } from 'node:zlib';
import { FileError } from '../../core/errors';

/** What a PNG's header says (IHDR). */
export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA. */
  colorType: number;
  interlaced: boolean;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The IHDR of PNG bytes, or null when the bytes are not a PNG. */
export function pngHeader(bytes: Uint8Array): PngHeader | null {
  if (bytes.length < 33 || SIGNATURE.some((b, i) => bytes[i] !== b)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return null;
  return { width: view.getUint32(16), height: view.getUint32(20), bitDepth: bytes[24], colorType: bytes[25], interlaced: bytes[28] === 1 };
}

/** Adam7's passes: first column and row, column and row steps. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/**
 * The palette indices of a palette PNG (colour type 3), row-major, one byte a pixel: what
 * Pillow's `np.array(Image.open(f))` gives for a 'P' image, and so what mmseg reads from a
 * palette label map (VOC-style annotations store class indices as palette entries). libvips
 * only hands out the palette colours, so the IDAT stream is inflated (node's zlib) and
 * unfiltered here; 1, 2, 4 and 8-bit depths and Adam7 interlacing are handled.
 */
export function pngPaletteIndices(bytes: Uint8Array, file: string): { data: Uint8Array; height: number; width: number } {
  const head = pngHeader(bytes);
  if (!head || head.colorType !== 3) throw new FileError(file, 'not a palette PNG');
  const { width, height, bitDepth } = head;
  const idat: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 8 <= bytes.length; ) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + len > bytes.length) throw new FileError(file, `cannot decode image: corrupt or truncated (PNG chunk ${type} runs past the end)`);
    if (type === 'IDAT') idat.push(bytes.subarray(at + 8, at + 8 + len));
    if (type === 'IEND') break;
    at += 12 + len;
  }
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (e) {
    throw new FileError(file, `cannot decode image: corrupt or truncated (${(e as Error).message})`);
  }
  const out = new Uint8Array(width * height);
  const passes = head.interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  let pos = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((width - x0) / dx);
    const ph = Math.ceil((height - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    const stride = Math.ceil((pw * bitDepth) / 8);
    const rows = unfilter(raw, pos, stride, ph, file);
    pos += ph * (stride + 1);
    for (let r = 0; r < ph; r++) {
      const row = rows.subarray(r * stride, (r + 1) * stride);
      for (let c = 0; c < pw; c++) out[(y0 + r * dy) * width + x0 + c * dx] = sampleAt(row, c, bitDepth);
    }
  }
  return { data: out, height, width };
}

/** The `c`-th sample of a packed row (big-endian bit order, as PNG packs them). */
function sampleAt(row: Uint8Array, c: number, depth: number): number {
  if (depth === 8) return row[c];
  const perByte = 8 / depth;
  const shift = 8 - depth * ((c % perByte) + 1);
  return (row[Math.floor(c / perByte)] >> shift) & ((1 << depth) - 1);
}

/** PNG's five row filters undone (one byte a pixel unit for palette images). */
function unfilter(raw: Uint8Array, start: number, stride: number, rows: number, file: string): Uint8Array {
  if (start + rows * (stride + 1) > raw.length) throw new FileError(file, 'cannot decode image: corrupt or truncated (PNG image data too short)');
  const out = new Uint8Array(rows * stride);
  for (let r = 0; r < rows; r++) {
    const filter = raw[start + r * (stride + 1)];
    const src = raw.subarray(start + r * (stride + 1) + 1, start + (r + 1) * (stride + 1));
    const cur = out.subarray(r * stride, (r + 1) * stride);
    const prev = r > 0 ? out.subarray((r - 1) * stride, r * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i > 0 ? cur[i - 1] : 0;
      const b = prev[i];
      const c = i > 0 ? prev[i - 1] : 0;
      let v: number;
      if (filter === 0) v = src[i];
      else if (filter === 1) v = src[i] + a;
      else if (filter === 2) v = src[i] + b;
      else if (filter === 3) v = src[i] + ((a + b) >> 1);
      else if (filter === 4) v = src[i] + paeth(a, b, c);
      else throw new FileError(file, `cannot decode image: corrupt or truncated (PNG row filter ${filter})`);
      cur[i] = v & 0xff;
    }
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}
