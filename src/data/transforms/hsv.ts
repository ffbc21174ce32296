/**
 * OpenCV's 8-bit BGR ↔ HSV conversions (cv2.COLOR_BGR2HSV / COLOR_HSV2BGR, hue in [0, 180)),
 * which mmcv's bgr2hsv / hsv2bgr call. BGR2HSV is OpenCV's integer algorithm (12-bit fixed
 * point tables) and matches it exactly; HSV2BGR follows its float32 formulas truncated to 8 bits,
 * which agrees with OpenCV 4.6 on about 99% of values and is never more than 1 off.
 */

const SHIFT = 12;
const HALF = 1 << (SHIFT - 1);
const SDIV = Int32Array.from({ length: 256 }, (_, i) => (i ? Math.round((255 << SHIFT) / i) : 0));
const HDIV = Int32Array.from({ length: 256 }, (_, i) => (i ? Math.round((180 << SHIFT) / (6 * i)) : 0));

/** Interleaved BGR bytes → interleaved HSV bytes (H 0-179, S and V 0-255). */
export function bgrToHsv(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += 3) {
    const [b, g, r] = [src[i], src[i + 1], src[i + 2]];
    const v = Math.max(b, g, r);
    const diff = v - Math.min(b, g, r);
    const s = (diff * SDIV[v] + HALF) >> SHIFT;
    let h = v === r ? g - b : v === g ? b - r + 2 * diff : r - g + 4 * diff;
    h = (h * HDIV[diff] + HALF) >> SHIFT;
    if (h < 0) h += 180;
    out[i] = Math.min(h, 255);
    out[i + 1] = s;
    out[i + 2] = v;
  }
  return out;
}

const SECTORS = [
  [1, 3, 0],
  [1, 0, 2],
  [3, 0, 1],
  [0, 2, 1],
  [0, 1, 3],
  [2, 1, 0],
] as const;
const f = Math.fround;
const HSCALE = f(6 / 180);
const INV255 = f(1 / 255);

/** Interleaved HSV bytes → interleaved BGR bytes (OpenCV's HSV2RGB_b: float32, truncated). */
export function hsvToBgr(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length);
  const tab = new Float32Array(4);
  for (let i = 0; i < src.length; i += 3) {
    let h = f(src[i] * HSCALE);
    const s = f(src[i + 1] * INV255);
    const v = f(src[i + 2] * INV255);
    let bgr: [number, number, number];
    if (s === 0) bgr = [v, v, v];
    else {
      while (h < 0) h = f(h + 6);
      while (h >= 6) h = f(h - 6);
      let sector = Math.floor(h);
      h = f(h - sector);
      if (sector < 0 || sector >= 6) [sector, h] = [0, 0];
      tab[0] = v;
      tab[1] = v * f(1 - s);
      tab[2] = v * f(1 - f(s * h));
      tab[3] = v * f(1 - f(s * f(1 - h)));
      const k = SECTORS[sector];
      bgr = [tab[k[0]], tab[k[1]], tab[k[2]]];
    }
    for (let c = 0; c < 3; c++) out[i + c] = Math.min(255, Math.max(0, Math.trunc(f(bgr[c] * 255))));
  }
  return out;
}
