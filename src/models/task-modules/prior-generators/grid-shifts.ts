import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import { constF32 } from '../coders/box-columns';

/** Feature map size (h, w). */
export type FeatSize = readonly [number, number];

/** What a column of a grid tensor holds: the cell's x offset, its y offset, or a constant. */
export type GridColumn = 'x' | 'y' | number;

/**
 * Per-cell rows [H * W, C] of a feature grid in row-major order (cell (y, x) is row y * W + x):
 * column c is xs[x], ys[y] or a constant, as `cols[c]` says. Built as the broadcast sum of a
 * [1, W, C] and an [H, 1, C] constant, each element being one of them plus an exact 0, so
 * the values are exactly the host ones on every engine; the graph holds H + W rows, not H * W.
 *
 * The offsets are computed on the host for the traced feature size: an export with dynamic
 * image sizes would need a Range op in the engine contract (see docs/task-modules.md).
 */
export function gridShifts(xs: Float32Array, ys: Float32Array, cols: readonly GridColumn[]): Tensor {
  const [w, h, c] = [xs.length, ys.length, cols.length];
  const sx = new Float32Array(w * c);
  const sy = new Float32Array(h * c);
  cols.forEach((col, k) => {
    for (let x = 0; x < w; x++) sx[x * c + k] = col === 'x' ? xs[x] : typeof col === 'number' ? col : 0;
    for (let y = 0; y < h; y++) sy[y * c + k] = col === 'y' ? ys[y] : 0;
  });
  return F.reshape(F.add(constF32([h, 1, c], sy), constF32([1, w, c], sx)), [h * w, c]);
}

/** float32 offsets (i + offset) * stride, i = 0..n-1, as torch.arange(n) + offset then * stride. */
export function axisOffsets(n: number, stride: number, offset = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.fround(Math.fround(i + offset) * stride);
  return out;
}

/** Valid flags of a feature grid [H * W * repeat]: cells x < validW and y < validH (mmdetection's valid_flags). */
export function gridValidFlags(featH: number, featW: number, validH: number, validW: number, repeat: number): Uint8Array {
  if (validH > featH || validW > featW) throw new Error(`valid size (${validH}, ${validW}) exceeds the feature map (${featH}, ${featW})`);
  const out = new Uint8Array(featH * featW * repeat);
  for (let y = 0; y < validH; y++) out.fill(1, (y * featW) * repeat, (y * featW + validW) * repeat);
  return out;
}
