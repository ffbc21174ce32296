import type { Random } from '../../core/random';
import type { HwcImage } from '../image-io/image';
import type { Mask } from './raster';

export type Rgb = [number, number, number];

/** How a region is filled: a base colour, a linear shading across it and an optional pattern. */
export interface Fill {
  color: Rgb;
  /** Brightness change per pixel along (cos, sin) of `shadeAngle`. */
  shade: number;
  shadeAngle: number;
  /** Stripes of this period (pixels) and contrast, or none when contrast is 0. */
  stripePeriod: number;
  stripeContrast: number;
  stripeAngle: number;
}

/**
 * An RGB float canvas the synthetic generators paint on: a textured background, filled masks,
 * sensor noise; `toImage` rounds it to an 8-bit RGB image.
 */
export class Canvas {
  readonly data: Float32Array;

  constructor(
    readonly height: number,
    readonly width: number,
  ) {
    this.data = new Float32Array(height * width * 3);
  }

  /**
   * Clutter that is no object: a two-colour gradient, sinusoidal gratings and smooth blotches
   * (value noise), different in every image.
   */
  paintBackground(rng: Random): void {
    const { height: h, width: w } = this;
    const a = randomColor(rng);
    const b = randomColor(rng);
    const angle = rng.uniform(0, 2 * Math.PI);
    const [ca, sa] = [Math.cos(angle), Math.sin(angle)];
    const blotches = valueNoise(rng, h, w, rng.between(3, 8), rng.uniform(10, 40));
    const diag = Math.hypot(h, w);
    // sum of sinusoidal gratings, separable: sin(u + v) = sin u cos v + cos u sin v
    const wave = new Float32Array(h * w * 3);
    for (let g = rng.between(1, 3); g > 0; g--) {
      const theta = rng.uniform(0, Math.PI);
      const freq = 2 * Math.PI * rng.uniform(0.02, 0.25);
      const phase = rng.uniform(0, 2 * Math.PI);
      const amp = rng.uniform(4, 22);
      const t0 = amp * rng.uniform(0.5, 1);
      const t1 = amp * rng.uniform(0.5, 1);
      const t2 = amp * rng.uniform(0.5, 1);
      const fx = freq * Math.cos(theta);
      const fy = freq * Math.sin(theta);
      const sx = new Float32Array(w);
      const cx = new Float32Array(w);
      for (let x = 0; x < w; x++) {
        sx[x] = Math.sin(fx * x);
        cx[x] = Math.cos(fx * x);
      }
      for (let y = 0; y < h; y++) {
        const sv = Math.sin(fy * y + phase);
        const cv = Math.cos(fy * y + phase);
        for (let x = 0, i = y * w * 3; x < w; x++, i += 3) {
          const s = sx[x] * cv + cx[x] * sv;
          wave[i] += s * t0;
          wave[i + 1] += s * t1;
          wave[i + 2] += s * t2;
        }
      }
    }
    const out = this.data;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const t = 0.5 + ((x - w / 2) * ca + (y - h / 2) * sa) / diag;
        const p = y * w + x;
        const i = 3 * p;
        const blot = blotches[p];
        out[i] = a[0] + (b[0] - a[0]) * t + wave[i] + blot;
        out[i + 1] = a[1] + (b[1] - a[1]) * t + wave[i + 1] + blot;
        out[i + 2] = a[2] + (b[2] - a[2]) * t + wave[i + 2] + blot;
      }
    }
  }

  /** Paint the pixels of `mask` with `fill` (shading measured from the mask's centre `cx, cy`). */
  paintMask(mask: Mask, fill: Fill, cx: number, cy: number): void {
    const { width: w } = this;
    const [ca, sa] = [Math.cos(fill.shadeAngle), Math.sin(fill.shadeAngle)];
    const [cs, ss] = [Math.cos(fill.stripeAngle), Math.sin(fill.stripeAngle)];
    for (let y = mask.y0; y < mask.y1; y++) {
      for (let x = 0; x < mask.width; x++) {
        if (!mask.data[y * w + x]) continue;
        const dx = x - cx;
        const dy = y - cy;
        let v = fill.shade * (dx * ca + dy * sa);
        if (fill.stripeContrast > 0) v += fill.stripeContrast * Math.sign(Math.sin((2 * Math.PI * (dx * cs + dy * ss)) / fill.stripePeriod));
        const i = (y * w + x) * 3;
        for (let c = 0; c < 3; c++) this.data[i + c] = fill.color[c] + v;
      }
    }
  }

  /** Gaussian sensor noise of standard deviation `std`, the same on the three channels of a pixel. */
  addNoise(rng: Random, std: number): void {
    const noise = rng.normalArray(this.height * this.width, 0, std);
    for (let i = 0; i < this.data.length; i++) this.data[i] += noise[(i / 3) | 0];
  }

  /** Rounded and clamped to 8 bits, RGB order. */
  toImage(): HwcImage & { data: Uint8Array } {
    const out = new Uint8ClampedArray(this.data.length); // its stores round and clamp to 0..255
    out.set(this.data);
    return { data: new Uint8Array(out.buffer), height: this.height, width: this.width, channels: 3, order: 'rgb' };
  }
}

export function randomColor(rng: Random): Rgb {
  return [rng.uniform(20, 235), rng.uniform(20, 235), rng.uniform(20, 235)];
}

/** A random fill; `contrastTo` keeps its colour at least `minDistance` away from a background sample. */
export function randomFill(rng: Random, contrastTo?: Rgb, minDistance = 60): Fill {
  let color = randomColor(rng);
  for (let tries = 0; contrastTo && tries < 8 && colorDistance(color, contrastTo) < minDistance; tries++) color = randomColor(rng);
  const striped = rng.chance(0.3);
  return {
    color,
    shade: rng.uniform(-0.6, 0.6),
    shadeAngle: rng.uniform(0, 2 * Math.PI),
    stripePeriod: rng.uniform(4, 12),
    stripeContrast: striped ? rng.uniform(10, 30) : 0,
    stripeAngle: rng.uniform(0, Math.PI),
  };
}

/** The canvas colour at a pixel (to pick fills that stand out from it). */
export function colorAt(canvas: Canvas, x: number, y: number): Rgb {
  const xi = Math.max(0, Math.min(canvas.width - 1, Math.floor(x)));
  const yi = Math.max(0, Math.min(canvas.height - 1, Math.floor(y)));
  const i = (yi * canvas.width + xi) * 3;
  return [canvas.data[i], canvas.data[i + 1], canvas.data[i + 2]];
}

function colorDistance(a: Rgb, b: Rgb): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** Bilinearly interpolated random values on a cells x cells grid, amplitude ±amp. */
function valueNoise(rng: Random, h: number, w: number, cells: number, amp: number): Float32Array {
  const grid = Array.from({ length: (cells + 1) * (cells + 1) }, () => rng.uniform(-amp, amp));
  const out = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    const gy = (y / h) * cells;
    const y0 = Math.floor(gy);
    const fy = gy - y0;
    for (let x = 0; x < w; x++) {
      const gx = (x / w) * cells;
      const x0 = Math.floor(gx);
      const fx = gx - x0;
      const g = (r: number, c: number) => grid[r * (cells + 1) + c];
      const top = g(y0, x0) * (1 - fx) + g(y0, x0 + 1) * fx;
      const bottom = g(y0 + 1, x0) * (1 - fx) + g(y0 + 1, x0 + 1) * fx;
      out[y * w + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}
