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
  for (let y = 0; y < h; y++) {
    const [y0, y1, fy] = [ys.i0[y], ys.i1[y], ys.f[y]];
    for (let x = 0; x < w; x++) {
      const [x0, x1, fx] = [xs.i0[x], xs.i1[x], xs.f[x]];
      for (let k = 0; k < c; k++) {
        const p = (yy: number, xx: number) => img.data[(yy * img.width + xx) * c + k];
        const top = p(y0, x0) * (1 - fx) + p(y0, x1) * fx;
        const bottom = p(y1, x0) * (1 - fx) + p(y1, x1) * fx;
        const v = top * (1 - fy) + bottom * fy;
        out[(y * w + x) * c + k] = round ? Math.round(v) : v;
      }
    }
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
  for (let y = 0; y < h; y++) {
    const sy = fy ? h - 1 - y : y;
    for (let x = 0; x < w; x++) {
      const sx = fx ? w - 1 - x : x;
      for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = img.data[(sy * w + sx) * c + k];
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
