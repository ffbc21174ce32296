import { Random } from '../../../../src/core/random';
import type { Results, SegMap } from '../../../../src/data/transforms/results';
import { ramp } from './sample';

/** An h×w label map from a function of (y, x). */
export function segMap(h: number, w: number, f: (y: number, x: number) => number): SegMap {
  const data = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(y, x);
  return { data, height: h, width: w, channels: 1, order: 'gray' };
}

/** An h×w sample: the ramp image, a label map holding x mod 3 (255 in the first row), a seeded generator. */
export function segSample(h: number, w: number, seed = 3): Results {
  return { img: ramp(h, w), img_shape: [h, w], ori_shape: [h, w], gt_seg_map: segMap(h, w, (y, x) => (y === 0 ? 255 : x % 3)), rng: new Random(seed) };
}

/** The distinct values of a label map, sorted. */
export const labelsOf = (m: SegMap) => [...new Set(Array.from(m.data))].sort((a, b) => a - b);
