import type { PipelineImage } from './results';

type Pixels = PipelineImage['data'];

function like(src: Pixels, n: number): Pixels {
  return new (src.constructor as new (n: number) => Pixels)(n);
}

/**
 * Resize an HWC image to (h, w). `bilinear` samples at pixel centres and clamps at the border,
 * as OpenCV's INTER_LINEAR (which mmcv's imresize uses); OpenCV computes 8-bit images in 11-bit
 * fixed point, here the arithmetic is float and rounded once, so a value may differ from
 * OpenCV's by 1. `nearest` takes source pixel floor(dst * src / dst), as INTER_NEAREST.
 */
export function resizeImage(img: PipelineImage, h: number, w: number, mode: 'bilinear' | 'nearest'): PipelineImage {
  const c = img.channels;
  const out = like(img.data, h * w * c);
  const round = !(img.data instanceof Float32Array);
  const sy = img.height / h;
  const sx = img.width / w;
  if (mode === 'nearest') {
    for (let y = 0; y < h; y++) {
      const yy = Math.min(Math.floor(y * sy), img.height - 1);
      for (let x = 0; x < w; x++) {
        const xx = Math.min(Math.floor(x * sx), img.width - 1);
        for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = img.data[(yy * img.width + xx) * c + k];
      }
    }
    return { ...img, data: out, height: h, width: w };
  }
  const xs = taps(w, img.width, sx);
  const ys = taps(h, img.height, sy);
  // separable: each source row is interpolated along x once (into a row buffer, reused by the
  // output rows that read it), then pairs of rows along y. The terms are those of the formula
  // above in the same order (top = row y0 along x, bottom = row y1 along x), so the values do
  // not depend on this loop shape; this is the loader's hottest code
  const src = img.data;
  const stride = img.width * c;
  const rw = w * c;
  const x0s = Int32Array.from(xs.i0, (i) => i * c);
  const x1s = Int32Array.from(xs.i1, (i) => i * c);
  const along = (r: number, buf: Float64Array) => {
    const base = r * stride;
    let o = 0;
    for (let x = 0; x < w; x++) {
      const fx = xs.f[x];
      const gx = 1 - fx;
      const a0 = base + x0s[x];
      const a1 = base + x1s[x];
      for (let k = 0; k < c; k++) buf[o++] = src[a0 + k] * gx + src[a1 + k] * fx;
    }
  };
  const [rowA, rowB] = [new Float64Array(rw), new Float64Array(rw)];
  let [idxA, idxB] = [-1, -1];
  const rowOf = (r: number, other: number): Float64Array => {
    if (r === idxA) return rowA;
    if (r === idxB) return rowB;
    // replace the buffer the other row of this output row does not use
    if (idxA === other) {
      along(r, rowB);
      idxB = r;
      return rowB;
    }
    along(r, rowA);
    idxA = r;
    return rowA;
  };
  for (let y = 0; y < h; y++) {
    const fy = ys.f[y];
    const gy = 1 - fy;
    const top = rowOf(ys.i0[y], ys.i1[y]);
    const bottom = rowOf(ys.i1[y], ys.i0[y]);
    const o = y * rw;
    if (round) for (let i = 0; i < rw; i++) out[o + i] = Math.round(top[i] * gy + bottom[i] * fy);
    else for (let i = 0; i < rw; i++) out[o + i] = top[i] * gy + bottom[i] * fy;
  }
  return { ...img, data: out, height: h, width: w };
}

/** Source indices and weights along one axis: centre-aligned, clamped to the edge pixels. */
function taps(dst: number, src: number, scale: number) {
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const f = new Float64Array(dst);
  for (let d = 0; d < dst; d++) {
    let s = (d + 0.5) * scale - 0.5;
    let i = Math.floor(s);
    s -= i;
    if (i < 0) [i, s] = [0, 0];
    if (i >= src - 1) [i, s] = [src - 1, 0];
    i0[d] = i;
    i1[d] = Math.min(i + 1, src - 1);
    f[d] = s;
  }
  return { i0, i1, f };
}

/** Mirror an HWC image (mmcv's imflip). */
export function flipImage(img: PipelineImage, direction: 'horizontal' | 'vertical' | 'diagonal'): PipelineImage {
  const { height: h, width: w, channels: c } = img;
  const out = like(img.data, img.data.length);
  const fx = direction !== 'vertical';
  const fy = direction !== 'horizontal';
  const row = w * c;
  for (let y = 0; y < h; y++) {
    const sy = fy ? h - 1 - y : y;
    if (!fx) {
      out.set(img.data.subarray(sy * row, (sy + 1) * row), y * row);
      continue;
    }
    let o = y * row;
    for (let x = w - 1; x >= 0; x--) {
      const s = sy * row + x * c;
      for (let k = 0; k < c; k++) out[o++] = img.data[s + k];
    }
  }
  return { ...img, data: out };
}

/** Pad an HWC image at the bottom and right to (h, w) with `value` (mmcv's impad, constant mode). */
export function padImage(img: PipelineImage, h: number, w: number, value: number): PipelineImage {
  const c = img.channels;
  const out = like(img.data, h * w * c).fill(value);
  for (let y = 0; y < img.height; y++) out.set(img.data.subarray(y * img.width * c, (y + 1) * img.width * c), y * w * c);
  return { ...img, data: out, height: h, width: w };
}
