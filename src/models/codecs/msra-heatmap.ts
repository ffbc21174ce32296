import { z } from 'zod';
import { hostTensor, type HostTensor } from '../../core/host-tensor';
import { KEYPOINT_CODECS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';

const size = z.tuple([z.number().int().positive(), z.number().int().positive()]);

export const msraHeatmapSchema = z
  .object({
    /** Input crop size [w, h]. */
    input_size: size,
    /** Heatmap size [W, H]. */
    heatmap_size: size,
    sigma: z.number().positive(),
    /** DARK: unbiased Gaussian targets and distribution-aware decoding. */
    unbiased: z.boolean().default(false),
    blur_kernel_size: z.number().int().positive().refine((k) => k % 2 === 1, 'must be odd').default(11),
  })
  .strict();
export type MSRAHeatmapOptions = z.output<typeof msraHeatmapSchema>;

/** One instance's decoded keypoints [K, 2] (input-crop pixels) and their heatmap maxima [K]. */
export interface DecodedKeypoints {
  keypoints: Float32Array;
  scores: Float32Array;
}

/**
 * mmpose's MSRAHeatmap codec (Xiao et al., Simple Baselines): keypoints ↔ one unnormalised
 * Gaussian heatmap per keypoint at `heatmap_size`. Decoding takes each heatmap's arg-max and
 * moves it a quarter pixel towards the higher neighbour (or, `unbiased`, DARK's Taylor step on
 * the blurred log-heatmap), then scales to the input size.
 */
export class MSRAHeatmap {
  readonly inputSize: readonly [number, number];
  readonly heatmapSize: readonly [number, number];
  readonly sigma: number;
  readonly unbiased: boolean;
  readonly blurKernelSize: number;
  /** input / heatmap, per axis (float32, as mmpose). */
  readonly scale: readonly [number, number];

  constructor(o: MSRAHeatmapOptions) {
    this.inputSize = o.input_size;
    this.heatmapSize = o.heatmap_size;
    this.sigma = o.sigma;
    this.unbiased = o.unbiased;
    this.blurKernelSize = o.blur_kernel_size;
    this.scale = [Math.fround(o.input_size[0] / o.heatmap_size[0]), Math.fround(o.input_size[1] / o.heatmap_size[1])];
  }

  /**
   * One instance's keypoints [K, 2] (input-crop pixels) and visibilities [K] → heatmaps [K, H, W]
   * and keypoint weights [K] (0 for unlabelled keypoints and those whose Gaussian misses the map).
   */
  encode(keypoints: Float32Array, visible: Float32Array): { heatmaps: HostTensor; weights: Float32Array } {
    const [W, H] = this.heatmapSize;
    const K = visible.length;
    const maps = new Float32Array(K * H * W);
    const weights = Float32Array.from(visible);
    const radius = this.sigma * 3;
    for (let k = 0; k < K; k++) {
      if (visible[k] < 0.5) continue;
      const kx = Math.fround(keypoints[2 * k] / this.scale[0]);
      const ky = Math.fround(keypoints[2 * k + 1] / this.scale[1]);
      const ok = this.unbiased ? this.drawUnbiased(maps, k, kx, ky, radius) : this.drawGaussian(maps, k, kx, ky, radius);
      if (!ok) weights[k] = 0;
    }
    return { heatmaps: hostTensor('float32', [K, H, W], maps), weights };
  }

  /** Heatmaps [K, H, W] → keypoints [K, 2] in input-crop pixels and scores [K]. */
  decode(heatmaps: Float32Array, K: number, H = this.heatmapSize[1], W = this.heatmapSize[0]): DecodedKeypoints {
    // the maxima are searched on the heatmaps as they are; the scale stays the configured one (mmpose's)
    if (heatmaps.length !== K * H * W) throw new Error(`MSRAHeatmap.decode: ${heatmaps.length} values are not ${K} heatmaps of ${H}x${W}`);
    const { keypoints, scores } = heatmapMaxima(heatmaps, K, H, W);
    if (this.unbiased) refineDark(keypoints, blurredLog(heatmaps, K, H, W, this.blurKernelSize), K, H, W);
    else refineQuarter(keypoints, heatmaps, K, H, W);
    for (let k = 0; k < K; k++) {
      keypoints[2 * k] = Math.fround(keypoints[2 * k] * this.scale[0]);
      keypoints[2 * k + 1] = Math.fround(keypoints[2 * k + 1] * this.scale[1]);
    }
    return { keypoints, scores };
  }

  /** The 3-sigma Gaussian patch around the rounded centre (mmpose's generate_gaussian_heatmaps). */
  private drawGaussian(maps: Float32Array, k: number, kx: number, ky: number, radius: number): boolean {
    const [W, H] = this.heatmapSize;
    const mx = Math.trunc(kx + 0.5);
    const my = Math.trunc(ky + 0.5);
    const left = Math.trunc(mx - radius);
    const top = Math.trunc(my - radius);
    const right = Math.trunc(mx + radius + 1);
    const bottom = Math.trunc(my + radius + 1);
    if (left >= W || top >= H || right < 0 || bottom < 0) return false;
    const c = Math.floor((2 * radius + 1) / 2);
    const s2 = 2 * this.sigma * this.sigma;
    for (let y = Math.max(0, top); y < Math.min(H, bottom); y++) {
      for (let x = Math.max(0, left); x < Math.min(W, right); x++) {
        const gx = x - left - c;
        const gy = y - top - c;
        const g = Math.fround(Math.exp(-(gx * gx + gy * gy) / s2));
        const i = (k * H + y) * W + x;
        if (g > maps[i]) maps[i] = g;
      }
    }
    return true;
  }

  /** DARK's unbiased target: the Gaussian at the exact sub-pixel position over the whole map. */
  private drawUnbiased(maps: Float32Array, k: number, kx: number, ky: number, radius: number): boolean {
    const [W, H] = this.heatmapSize;
    if (kx - radius >= W || ky - radius >= H || kx + radius + 1 < 0 || ky + radius + 1 < 0) return false;
    const s2 = 2 * this.sigma * this.sigma;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const g = Math.fround(Math.exp(-((x - kx) ** 2 + (y - ky) ** 2) / s2));
        const i = (k * H + y) * W + x;
        if (g > maps[i]) maps[i] = g;
      }
    }
    return true;
  }
}

/** Per-channel arg-max (first maximum wins) as (x, y); channels whose maximum is <= 0 get (-1, -1). */
export function heatmapMaxima(maps: Float32Array, K: number, H: number, W: number): DecodedKeypoints {
  const keypoints = new Float32Array(K * 2);
  const scores = new Float32Array(K);
  const n = H * W;
  for (let k = 0; k < K; k++) {
    let best = 0;
    let val = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = maps[k * n + i];
      if (v > val) {
        val = v;
        best = i;
      }
    }
    scores[k] = val;
    keypoints[2 * k] = val > 0 ? best % W : -1;
    keypoints[2 * k + 1] = val > 0 ? Math.floor(best / W) : -1;
  }
  return { keypoints, scores };
}

/** mmpose's refine_keypoints: a quarter pixel towards the higher neighbour (its bounds kept as they are). */
function refineQuarter(kp: Float32Array, maps: Float32Array, K: number, H: number, W: number): void {
  const at = (k: number, y: number, x: number) => maps[(k * H + y) * W + x];
  for (let k = 0; k < K; k++) {
    const x = Math.trunc(kp[2 * k]);
    const y = Math.trunc(kp[2 * k + 1]);
    const dx = 1 < x && x < W - 1 && 0 < y && y < H ? at(k, y, x + 1) - at(k, y, x - 1) : 0;
    const dy = 1 < y && y < H - 1 && 0 < x && x < W ? at(k, y + 1, x) - at(k, y - 1, x) : 0;
    kp[2 * k] = Math.fround(kp[2 * k] + Math.sign(dx) * 0.25);
    kp[2 * k + 1] = Math.fround(kp[2 * k + 1] + Math.sign(dy) * 0.25);
  }
}

/** DARK's Newton step on the log-heatmap around the arg-max (skipped near the border or at a flat Hessian). */
function refineDark(kp: Float32Array, logMaps: Float64Array, K: number, H: number, W: number): void {
  const at = (k: number, y: number, x: number) => logMaps[(k * H + y) * W + x];
  for (let k = 0; k < K; k++) {
    const x = Math.trunc(kp[2 * k]);
    const y = Math.trunc(kp[2 * k + 1]);
    if (!(1 < x && x < W - 2 && 1 < y && y < H - 2)) continue;
    const dx = 0.5 * (at(k, y, x + 1) - at(k, y, x - 1));
    const dy = 0.5 * (at(k, y + 1, x) - at(k, y - 1, x));
    const dxx = 0.25 * (at(k, y, x + 2) - 2 * at(k, y, x) + at(k, y, x - 2));
    const dxy = 0.25 * (at(k, y + 1, x + 1) - at(k, y - 1, x + 1) - at(k, y + 1, x - 1) + at(k, y - 1, x - 1));
    const dyy = 0.25 * (at(k, y + 2, x) - 2 * at(k, y, x) + at(k, y - 2, x));
    const det = dxx * dyy - dxy * dxy;
    if (det === 0) continue;
    // offset = -H^-1 g with H^-1 = [[dyy, -dxy], [-dxy, dxx]] / det
    kp[2 * k] = Math.fround(kp[2 * k] - (dyy * dx - dxy * dy) / det);
    kp[2 * k + 1] = Math.fround(kp[2 * k + 1] - (-dxy * dx + dxx * dy) / det);
  }
}

/**
 * DARK's modulation: each map blurred with OpenCV's Gaussian for this kernel size (sigma from
 * OpenCV's rule, zero padding around the map), rescaled to its old maximum, floored at 1e-10, log.
 */
function blurredLog(maps: Float32Array, K: number, H: number, W: number, ks: number): Float64Array {
  const r = (ks - 1) >> 1;
  const kern = gaussianKernel(ks);
  const out = new Float64Array(K * H * W);
  const tmp = new Float64Array(H * W);
  for (let k = 0; k < K; k++) {
    const o = k * H * W;
    let oldMax = -Infinity;
    for (let i = 0; i < H * W; i++) oldMax = Math.max(oldMax, maps[o + i]);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let s = 0;
        for (let t = -r; t <= r; t++) if (x + t >= 0 && x + t < W) s += kern[t + r] * maps[o + y * W + x + t];
        tmp[y * W + x] = s;
      }
    }
    let newMax = -Infinity;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let s = 0;
        for (let t = -r; t <= r; t++) if (y + t >= 0 && y + t < H) s += kern[t + r] * tmp[(y + t) * W + x];
        out[o + y * W + x] = s;
        newMax = Math.max(newMax, s);
      }
    }
    const f = newMax !== 0 ? oldMax / newMax : 1;
    for (let i = 0; i < H * W; i++) out[o + i] = Math.log(Math.max(out[o + i] * f, 1e-10));
  }
  return out;
}

KEYPOINT_CODECS.register(msraHeatmapSchema, (o: MSRAHeatmapOptions, _ctx: BuildContext) => new MSRAHeatmap(o), {
  name: 'MSRAHeatmap',
  summary: 'Keypoints ↔ Gaussian heatmaps (mmpose MSRAHeatmap; DARK with unbiased)',
});


/** OpenCV's getGaussianKernel(ks, 0): fixed tables up to 7 taps, the sigma rule above. */
function gaussianKernel(ks: number): number[] {
  const small: Record<number, number[]> = {
    1: [1],
    3: [0.25, 0.5, 0.25],
    5: [0.0625, 0.25, 0.375, 0.25, 0.0625],
    7: [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125],
  };
  if (small[ks]) return small[ks];
  const sigma = 0.3 * ((ks - 1) * 0.5 - 1) + 0.8;
  const r = (ks - 1) >> 1;
  const kern = Array.from({ length: ks }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const norm = kern.reduce((a, b) => a + b, 0);
  return kern.map((v) => v / norm);
}
