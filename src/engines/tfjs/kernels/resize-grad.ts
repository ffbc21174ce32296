/**
 * Gradients of the resize kernels. tfjs's own ResizeBilinearGrad (cpu and wasm) ignores
 * halfPixelCenters, so the gradient of align_corners=False bilinear (PyTorch's default) is
 * wrong there; its cpu ResizeNearestNeighborGrad reads dy with the input's batch stride.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hostKernel, runKernelOn, type HostArray } from './host-kernel';

interface ResizeAttrs {
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

/** Source coordinate of each output position, exactly as tfjs's bilinear forward computes it. */
function bilinearTaps(inSize: number, outSize: number, a: ResizeAttrs) {
  const aligned = a.alignCorners && outSize > 1;
  const ratio = (aligned ? inSize - 1 : inSize) / (aligned ? outSize - 1 : outSize);
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = a.halfPixelCenters ? ratio * (o + 0.5) - 0.5 : ratio * o;
    lo[o] = Math.max(0, Math.floor(src));
    hi[o] = Math.min(inSize - 1, Math.ceil(src));
    frac[o] = src - lo[o];
  }
  return { lo, hi, frac };
}

/** dx of y = resizeBilinear(x): each dy value goes back to its four source pixels. */
export const resizeBilinearGrad = hostKernel(({ images, dy }, attrs) => {
  const a = attrs as unknown as ResizeAttrs;
  const [n, h, w, c] = images.shape;
  const [, oh, ow] = dy.shape;
  const rows = bilinearTaps(h, oh, a);
  const cols = bilinearTaps(w, ow, a);
  const g = dy.values as Float32Array;
  const dx = new Float32Array(n * h * w * c);
  let k = 0;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const top = (b * h + rows.lo[r]) * w;
      const bottom = (b * h + rows.hi[r]) * w;
      const fy = rows.frac[r];
      for (let q = 0; q < ow; q++) {
        const fx = cols.frac[q];
        const tl = (top + cols.lo[q]) * c;
        const tr = (top + cols.hi[q]) * c;
        const bl = (bottom + cols.lo[q]) * c;
        const br = (bottom + cols.hi[q]) * c;
        const wtl = (1 - fy) * (1 - fx);
        const wtr = (1 - fy) * fx;
        const wbl = fy * (1 - fx);
        const wbr = fy * fx;
        for (let d = 0; d < c; d++, k++) {
          const v = g[k];
          dx[tl + d] += v * wtl;
          dx[tr + d] += v * wtr;
          dx[bl + d] += v * wbl;
          dx[br + d] += v * wbr;
        }
      }
    }
  }
  return { values: dx, shape: [...images.shape], dtype: 'float32' };
});

/**
 * Source index of each output position along one axis, taken from the backend's own forward
 * kernel run on an index ramp: backends round differently (wasm computes the scale in float32,
 * as PyTorch does; cpu in float64), and the gradient must follow the forward that ran.
 */
function nearestSources(backendName: string, backend: tf.KernelBackend, inSize: number, outSize: number, attrs: tf.NamedAttrMap, axis: 'rows' | 'cols'): Int32Array {
  const ramp: HostArray = {
    values: Float32Array.from({ length: inSize }, (_, i) => i),
    shape: axis === 'rows' ? [1, inSize, 1, 1] : [1, 1, inSize, 1],
    dtype: 'float32',
  };
  const size = axis === 'rows' ? [outSize, 1] : [1, outSize];
  const [out] = runKernelOn(backendName, backend, tf.ResizeNearestNeighbor, { images: ramp }, { ...attrs, size });
  return Int32Array.from(out.values, (v) => Math.round(v));
}

/** dx of y = resizeNearestNeighbor(x) on `backendName`: each dy value goes back to its source pixel. */
export function resizeNearestNeighborGrad(backendName: string): tf.KernelFunc {
  return hostKernel(({ images, dy }, attrs, backend) => {
      const [n, h, w, c] = images.shape;
      const [, oh, ow] = dy.shape;
      const rows = nearestSources(backendName, backend, h, oh, attrs, 'rows');
      const cols = nearestSources(backendName, backend, w, ow, attrs, 'cols');
      const g = dy.values as Float32Array;
      const dx = new Float32Array(n * h * w * c);
      let k = 0;
      for (let b = 0; b < n; b++) {
        for (let r = 0; r < oh; r++) {
          const row = (b * h + rows[r]) * w;
          for (let q = 0; q < ow; q++) {
            const src = (row + cols[q]) * c;
            for (let d = 0; d < c; d++, k++) dx[src + d] += g[k];
          }
        }
      }
      return { values: dx, shape: [...images.shape], dtype: 'float32' };
    });
}
