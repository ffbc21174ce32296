import { makeRle, type Rle } from './rle';

/** COCO's JSON form of a mask: `counts` compressed to a string, or uncompressed as numbers. */
export interface CocoRle {
  size: [number, number];
  counts: string | number[];
}

/**
 * cocoapi's compressed counts string: LEB128-like, 5 payload bits per character (ASCII 48..111),
 * bit 0x20 = more characters follow, the last character's bit 0x10 = negative; from the fourth
 * run on, each run is stored as its difference to the run two before it (`i > 2`, as maskApi).
 */
export function rleToString(rle: Rle): string {
  const { counts } = rle;
  const chars: number[] = [];
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i] - (i > 2 ? counts[i - 2] : 0);
    let more = true;
    while (more) {
      let c = ((x % 32) + 32) % 32;
      x = Math.floor(x / 32); // arithmetic shift, also beyond 32 bits
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      chars.push(c + 48);
    }
  }
  return String.fromCharCode(...chars);
}

/** Inverse of rleToString for an `h`×`w` mask; throws on characters outside cocoapi's alphabet. */
export function rleFromString(s: string, h: number, w: number): Rle {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let scale = 1;
    let more = true;
    while (more) {
      if (p >= s.length) throw new RangeError('compressed RLE string ends inside a count');
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new RangeError(`compressed RLE string has an invalid character '${s[p]}' at ${p}`);
      x += (c & 0x1f) * scale;
      scale *= 32;
      more = (c & 0x20) !== 0;
      p++;
      if (!more && c & 0x10) x -= scale;
    }
    const m = counts.length;
    if (m > 2) x += counts[m - 2];
    counts.push(x >>> 0);
  }
  return makeRle(h, w, counts);
}

/** `{size: [h, w], counts: string}`, the form COCO result files carry. */
export function rleToCoco(rle: Rle): { size: [number, number]; counts: string } {
  return { size: [rle.h, rle.w], counts: rleToString(rle) };
}

/** An RLE from COCO's JSON form, compressed (string counts) or uncompressed (number counts). */
export function rleFromCoco(obj: CocoRle): Rle {
  const [h, w] = obj.size;
  return typeof obj.counts === 'string' ? rleFromString(obj.counts, h, w) : makeRle(h, w, obj.counts);
}
