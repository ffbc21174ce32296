/**
 * RoIAlign on the host, with mmcv 2.x semantics, over channels-last (NHWC) feature maps so
 * that every bilinear sample reads and writes one contiguous channel vector.
 *
 * Per RoI (batch index, x1, y1, x2, y2): corners are scaled by `spatialScale` and, when
 * `aligned`, shifted by -0.5 pixel; without `aligned` the RoI is at least 1x1. Each of the
 * oh x ow bins takes a grid of samples (samplingRatio, or ceil(roi size / output size) when
 * it is 0) at start + (i + 0.5) * bin / grid. A sample beyond [-1, size] reads 0; otherwise
 * it is clamped into the map and interpolated bilinearly. 'avg' averages a bin's samples,
 * 'max' keeps the largest per channel.
 */
import type { RoiAlignOptions } from '../../core/engine';

/** A channels-last feature map in host memory. */
export interface NhwcMap {
  data: Float32Array;
  n: number;
  h: number;
  w: number;
  c: number;
}

/**
 * Where the samples of one RoI fall along one axis: for sample s = bin * grid + i, the two
 * neighbouring rows (or columns) and their interpolation weights. Weights are 0 for samples
 * outside [-1, size], which therefore read 0.
 */
interface AxisSamples {
  grid: number;
  lo: Int32Array;
  hi: Int32Array;
  wLo: Float64Array;
  wHi: Float64Array;
  valid: Uint8Array;
}

/**
 * The rows (or columns) one bin reads along one axis, with the summed weights of all its
 * samples. Bilinear weights are separable, so a bin's average is sum over rows x columns of
 * rowWeight * colWeight * pixel: neighbouring samples share pixels, and each pixel is read once.
 */
interface BinTaps {
  idx: Int32Array;
  w: Float64Array;
  n: number;
}

/** Per-RoI sampling plan shared by the forward and backward passes. */
interface RoiPlan {
  batch: number;
  ys: AxisSamples;
  xs: AxisSamples;
  /** Divisor of 'avg' mode: the grid size, at least 1. */
  count: number;
}

/** Merge the samples of bin `b` into distinct rows with summed weights. */
function binTaps(s: AxisSamples, b: number): BinTaps {
  const t: BinTaps = { idx: new Int32Array(2 * s.grid), w: new Float64Array(2 * s.grid), n: 0 };
  const add = (i: number, w: number) => {
    if (w === 0) return;
    // a bin has at most 2 * grid taps: a linear search is cheapest
    for (let j = t.n - 1; j >= 0; j--) {
      if (t.idx[j] === i) {
        t.w[j] += w;
        return;
      }
    }
    t.idx[t.n] = i;
    t.w[t.n++] = w;
  };
  for (let k = b * s.grid; k < (b + 1) * s.grid; k++) {
    if (!s.valid[k]) continue;
    add(s.lo[k], s.wLo[k]);
    add(s.hi[k], s.wHi[k]);
  }
  return t;
}

export interface RoiAlignForwardResult {
  /** [K, oh, ow, C] channels-last. */
  output: Float32Array;
  /** 'max' mode: the winning sample (iy * gridW + ix) per output value, -1 for none. */
  argmax: Int32Array | null;
}

const f32 = Math.fround;

function axisSamples(start: number, size: number, bins: number, grid: number, limit: number): AxisSamples {
  const total = bins * grid;
  const s: AxisSamples = {
    grid,
    lo: new Int32Array(total),
    hi: new Int32Array(total),
    wLo: new Float64Array(total),
    wHi: new Float64Array(total),
    valid: new Uint8Array(total),
  };
  const binSize = size / bins;
  for (let b = 0; b < bins; b++) {
    for (let i = 0; i < grid; i++) {
      const k = b * grid + i;
      let v = start + b * binSize + ((i + 0.5) * binSize) / grid;
      if (v < -1 || v > limit) continue; // reads 0: weights stay 0
      if (v <= 0) v = 0;
      let lo = Math.floor(v);
      let hi: number;
      if (lo >= limit - 1) {
        lo = hi = limit - 1;
        v = lo;
      } else {
        hi = lo + 1;
      }
      const frac = v - lo;
      s.lo[k] = lo;
      s.hi[k] = hi;
      s.wLo[k] = 1 - frac;
      s.wHi[k] = frac;
      s.valid[k] = 1;
    }
  }
  return s;
}

/** The geometry of RoI `r`, computed in float32 like mmcv so that grid sizes agree at the edges. */
function planRoi(rois: Float32Array, r: number, map: NhwcMap, o: RoiAlignOptions): RoiPlan {
  const [oh, ow] = o.outputSize;
  const batch = rois[5 * r];
  if (!Number.isInteger(batch) || batch < 0 || batch >= map.n) {
    throw new Error(`RoIAlign: RoI ${r} has batch index ${batch}, but the features hold ${map.n} image(s)`);
  }
  const scale = f32(o.spatialScale);
  const offset = o.aligned ? 0.5 : 0;
  const x1 = f32(f32(rois[5 * r + 1] * scale) - offset);
  const y1 = f32(f32(rois[5 * r + 2] * scale) - offset);
  const x2 = f32(f32(rois[5 * r + 3] * scale) - offset);
  const y2 = f32(f32(rois[5 * r + 4] * scale) - offset);
  let rw = f32(x2 - x1);
  let rh = f32(y2 - y1);
  if (!o.aligned) {
    rw = Math.max(rw, 1);
    rh = Math.max(rh, 1);
  }
  const gh = o.samplingRatio > 0 ? o.samplingRatio : Math.max(0, Math.ceil(f32(rh / oh)));
  const gw = o.samplingRatio > 0 ? o.samplingRatio : Math.max(0, Math.ceil(f32(rw / ow)));
  return {
    batch,
    ys: axisSamples(y1, rh, oh, gh, map.h),
    xs: axisSamples(x1, rw, ow, gw, map.w),
    count: Math.max(gh * gw, 1),
  };
}

function checkInputs(map: NhwcMap, rois: Float32Array, o: RoiAlignOptions): number {
  if (rois.length % 5 !== 0) throw new Error(`RoIAlign: rois must be [K,5], got ${rois.length} values`);
  const [oh, ow] = o.outputSize;
  if (!(oh > 0 && ow > 0)) throw new Error(`RoIAlign: output size must be positive, got [${oh}, ${ow}]`);
  if (map.data.length !== map.n * map.h * map.w * map.c) throw new Error('RoIAlign: feature data does not match its shape');
  return rois.length / 5;
}

/** Corner offsets (into the NHWC data) and weights of one sample; null when it reads 0. */
function corners(map: NhwcMap, p: RoiPlan, sy: number, sx: number): [number, number, number, number, number, number, number, number] | null {
  const { ys, xs } = p;
  if (!ys.valid[sy] || !xs.valid[sx]) return null;
  const rowLo = (p.batch * map.h + ys.lo[sy]) * map.w;
  const rowHi = (p.batch * map.h + ys.hi[sy]) * map.w;
  const c = map.c;
  return [
    (rowLo + xs.lo[sx]) * c,
    (rowLo + xs.hi[sx]) * c,
    (rowHi + xs.lo[sx]) * c,
    (rowHi + xs.hi[sx]) * c,
    ys.wLo[sy] * xs.wLo[sx],
    ys.wLo[sy] * xs.wHi[sx],
    ys.wHi[sy] * xs.wLo[sx],
    ys.wHi[sy] * xs.wHi[sx],
  ];
}

export function roiAlignForward(map: NhwcMap, rois: Float32Array, o: RoiAlignOptions): RoiAlignForwardResult {
  const k = checkInputs(map, rois, o);
  const [oh, ow] = o.outputSize;
  const c = map.c;
  const output = new Float32Array(k * oh * ow * c);
  const argmax = o.mode === 'max' ? new Int32Array(output.length).fill(-1) : null;
  const acc = new Float64Array(c);
  for (let r = 0; r < k; r++) {
    const p = planRoi(rois, r, map, o);
    const rows = Array.from({ length: oh }, (_, b) => binTaps(p.ys, b));
    const cols = Array.from({ length: ow }, (_, b) => binTaps(p.xs, b));
    for (let by = 0; by < oh; by++) {
      for (let bx = 0; bx < ow; bx++) {
        const out = ((r * oh + by) * ow + bx) * c;
        if (argmax) maxBin(map, p, by, bx, acc, argmax, out);
        else avgBin(map, p.batch, rows[by], cols[bx], p.count, acc);
        output.set(acc, out);
      }
    }
  }
  return { output, argmax };
}

/** 'avg' mode for one bin: the weighted sum over its distinct pixels, divided by the grid size. */
function avgBin(map: NhwcMap, batch: number, rows: BinTaps, cols: BinTaps, count: number, acc: Float64Array): void {
  const { c, data: f } = map;
  acc.fill(0);
  for (let i = 0; i < rows.n; i++) {
    const rowBase = (batch * map.h + rows.idx[i]) * map.w;
    const wr = rows.w[i] / count;
    let j = 0;
    // two pixels per pass halve the accumulator traffic
    for (; j + 1 < cols.n; j += 2) {
      const [w0, w1] = [wr * cols.w[j], wr * cols.w[j + 1]];
      const [p0, p1] = [(rowBase + cols.idx[j]) * c, (rowBase + cols.idx[j + 1]) * c];
      for (let ch = 0; ch < c; ch++) acc[ch] += w0 * f[p0 + ch] + w1 * f[p1 + ch];
    }
    if (j < cols.n) {
      const w = wr * cols.w[j];
      const px = (rowBase + cols.idx[j]) * c;
      for (let ch = 0; ch < c; ch++) acc[ch] += w * f[px + ch];
    }
  }
}

/**
 * 'max' mode for one bin: the largest bilinear sample per channel. A sample outside the map
 * reads 0 and competes like any other (as mmcv); an empty grid gives 0.
 */
function maxBin(map: NhwcMap, p: RoiPlan, by: number, bx: number, acc: Float64Array, argmax: Int32Array, out: number): void {
  const c = map.c;
  const f = map.data;
  const { grid: gh } = p.ys;
  const { grid: gw } = p.xs;
  acc.fill(-Infinity);
  for (let iy = 0; iy < gh; iy++) {
    for (let ix = 0; ix < gw; ix++) {
      const s = iy * gw + ix;
      const q = corners(map, p, by * gh + iy, bx * gw + ix);
      for (let ch = 0; ch < c; ch++) {
        const v = q ? q[4] * f[q[0] + ch] + q[5] * f[q[1] + ch] + q[6] * f[q[2] + ch] + q[7] * f[q[3] + ch] : 0;
        if (v > acc[ch]) {
          acc[ch] = v;
          argmax[out + ch] = s;
        }
      }
    }
  }
  if (gh * gw === 0) acc.fill(0);
}

/**
 * Gradient with respect to the features: each output gradient is scattered back onto the
 * four pixels of every sample that made it, with the forward's weights ('avg': divided by
 * the grid size; 'max': only the winning sample).
 */
export function roiAlignBackward(
  shape: Omit<NhwcMap, 'data'>,
  dy: Float32Array,
  rois: Float32Array,
  o: RoiAlignOptions,
  argmax: Int32Array | null,
): Float32Array {
  const map: NhwcMap = { ...shape, data: new Float32Array(shape.n * shape.h * shape.w * shape.c) };
  const k = checkInputs(map, rois, o);
  const [oh, ow] = o.outputSize;
  const c = map.c;
  const dx = map.data;
  for (let r = 0; r < k; r++) {
    const p = planRoi(rois, r, map, o);
    const { grid: gh } = p.ys;
    const { grid: gw } = p.xs;
    const rows = argmax ? [] : Array.from({ length: oh }, (_, b) => binTaps(p.ys, b));
    const cols = argmax ? [] : Array.from({ length: ow }, (_, b) => binTaps(p.xs, b));
    for (let by = 0; by < oh; by++) {
      for (let bx = 0; bx < ow; bx++) {
        const out = ((r * oh + by) * ow + bx) * c;
        if (argmax) {
          for (let ch = 0; ch < c; ch++) {
            const s = argmax[out + ch];
            if (s < 0) continue;
            const q = corners(map, p, by * gh + Math.floor(s / gw), bx * gw + (s % gw));
            if (!q) continue;
            const g = dy[out + ch];
            dx[q[0] + ch] += q[4] * g;
            dx[q[1] + ch] += q[5] * g;
            dx[q[2] + ch] += q[6] * g;
            dx[q[3] + ch] += q[7] * g;
          }
          continue;
        }
        const [ry, cx] = [rows[by], cols[bx]];
        for (let i = 0; i < ry.n; i++) {
          const rowBase = (p.batch * map.h + ry.idx[i]) * map.w;
          const wr = ry.w[i] / p.count;
          for (let j = 0; j < cx.n; j++) {
            const w = wr * cx.w[j];
            const px = (rowBase + cx.idx[j]) * c;
            for (let ch = 0; ch < c; ch++) dx[px + ch] += w * dy[out + ch];
          }
        }
      }
    }
  }
  return dx;
}
