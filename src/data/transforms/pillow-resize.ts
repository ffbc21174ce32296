import { UserError } from '../../core/errors';
import { resizeImage } from './image-ops';
import type { PipelineImage } from './results';

/** Interpolations of mmcv's imresize that hrdet has, per backend. */
export const CV2_INTERPOLATIONS = ['nearest', 'bilinear'] as const;
export const PILLOW_INTERPOLATIONS = ['nearest', 'bilinear', 'bicubic'] as const;
export type Interpolation = (typeof PILLOW_INTERPOLATIONS)[number];

interface Filter {
  support: number;
  weight(x: number): number;
}

const FILTERS: Record<'bilinear' | 'bicubic', Filter> = {
  bilinear: { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)) },
  bicubic: {
    support: 2,
    weight: (x) => {
      const a = -0.5;
      x = Math.abs(x);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
};

/** Pillow's fixed-point precision for 8-bit images (PRECISION_BITS = 32 - 8 - 2). */
const BITS = 22;

/**
 * mmcv's imresize to (h, w) on either backend: `cv2` samples as OpenCV (image-ops' resizeImage;
 * nearest and bilinear), `pillow` as Pillow's Image.resize on 8-bit images: nearest takes
 * floor((x + 0.5) * scale), bilinear and bicubic (a = -0.5) are Pillow's separable resampling,
 * whose kernel widens by the scale when shrinking (so it averages, unlike OpenCV), horizontal
 * pass first, each pass in 22-bit fixed point rounded to 8 bits. `where` names the option in errors.
 */
export function imresize(img: PipelineImage, h: number, w: number, interpolation: string, backend: 'cv2' | 'pillow', where = 'interpolation'): PipelineImage {
  if (backend === 'cv2') {
    if (interpolation !== 'nearest' && interpolation !== 'bilinear') throw new UserError(`${where}: '${interpolation}' is not available with backend 'cv2' (nearest, bilinear)`);
    return resizeImage(img, h, w, interpolation);
  }
  if (!(img.data instanceof Uint8Array)) throw new UserError(`${where}: the pillow backend resizes 8-bit images only, as mmcv`);
  if (interpolation === 'nearest') return pillowNearest(img, h, w);
  if (interpolation !== 'bilinear' && interpolation !== 'bicubic') throw new UserError(`${where}: '${interpolation}' is not available with backend 'pillow' (nearest, bilinear, bicubic)`);
  const filter = FILTERS[interpolation];
  let out = img as PipelineImage & { data: Uint8Array };
  if (w !== img.width) out = resamplePass(out, w, filter, true);
  if (h !== img.height) out = resamplePass(out, h, filter, false);
  return out;
}

function pillowNearest(img: PipelineImage, h: number, w: number): PipelineImage {
  const c = img.channels;
  const out = new Uint8Array(h * w * c);
  const [sy, sx] = [img.height / h, img.width / w];
  for (let y = 0; y < h; y++) {
    const yy = Math.min(Math.trunc((y + 0.5) * sy), img.height - 1);
    for (let x = 0; x < w; x++) {
      const xx = Math.min(Math.trunc((x + 0.5) * sx), img.width - 1);
      for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = img.data[(yy * img.width + xx) * c + k];
    }
  }
  return { ...img, data: out, height: h, width: w };
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc: per output pixel, its first input and integer weights. */
function coefficients(inSize: number, outSize: number, filter: Filter): { first: Int32Array; weights: Int32Array[] } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const first = new Int32Array(outSize);
  const weights: Int32Array[] = [];
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(inSize, Math.trunc(center + support + 0.5));
    const raw = Array.from({ length: hi - lo }, (_, i) => filter.weight((i + lo - center + 0.5) / filterScale));
    const total = raw.reduce((a, b) => a + b, 0);
    first[o] = lo;
    weights.push(Int32Array.from(raw, (v) => {
      const k = total !== 0 ? v / total : v;
      return Math.trunc(k < 0 ? -0.5 + k * (1 << BITS) : 0.5 + k * (1 << BITS));
    }));
  }
  return { first, weights };
}

/** One resampling pass along x (`horizontal`) or y, into 8-bit pixels. */
function resamplePass(img: PipelineImage & { data: Uint8Array }, size: number, filter: Filter, horizontal: boolean): PipelineImage & { data: Uint8Array } {
  const { height: H, width: W, channels: c } = img;
  const [outH, outW] = horizontal ? [H, size] : [size, W];
  const { first, weights } = coefficients(horizontal ? W : H, size, filter);
  const out = new Uint8Array(outH * outW * c);
  const step = horizontal ? c : W * c;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const o = horizontal ? x : y;
      const k = weights[o];
      const base = horizontal ? (y * W + first[o]) * c : (first[o] * W + x) * c;
      for (let ch = 0; ch < c; ch++) {
        let acc = 1 << (BITS - 1);
        for (let i = 0; i < k.length; i++) acc += img.data[base + i * step + ch] * k[i];
        out[(y * outW + x) * c + ch] = acc <= 0 ? 0 : acc >= 256 << BITS ? 255 : Math.floor(acc / (1 << BITS));
      }
    }
  }
  return { ...img, data: out, height: outH, width: outW };
}
