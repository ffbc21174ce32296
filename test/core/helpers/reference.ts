/**
 * Straightforward NCHW reference loops, written from the PyTorch / mmcv definitions and
 * independent of the engine under test. Double precision throughout.
 */

export interface Arr {
  shape: number[];
  data: Float64Array;
}

export function arr(shape: readonly number[], data?: ArrayLike<number>): Arr {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = data ? Float64Array.from(data) : new Float64Array(n);
  if (d.length !== n) throw new Error(`reference array [${shape.join(',')}] needs ${n} values, got ${d.length}`);
  return { shape: [...shape], data: d };
}

/** Deterministic uniform values in [lo, hi) (mulberry32), rounded to float32. */
export function randArr(shape: readonly number[], seed: number, lo = -1, hi = 1): Arr {
  const a = arr(shape);
  let s = seed >>> 0;
  for (let i = 0; i < a.data.length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    a.data[i] = Math.fround(lo + (hi - lo) * u);
  }
  return a;
}

export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i];
    flat = Math.floor(flat / shape[i]);
  }
  return idx;
}

function ravel(idx: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let i = 0; i < shape.length; i++) flat = flat * shape[i] + idx[i];
  return flat;
}

// --- dense ----------------------------------------------------------------------------------

export interface ConvSpec {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

/** PyTorch conv2d: x [N,C,H,W], w [O, C/groups, kh, kw]. */
export function conv2dRef(x: Arr, w: Arr, bias: ArrayLike<number> | null, o: ConvSpec): Arr {
  const [n, c, h, wd] = x.shape;
  const [oc, icg, kh, kw] = w.shape;
  const ocg = oc / o.groups;
  const ho = Math.floor((h + 2 * o.padding[0] - o.dilation[0] * (kh - 1) - 1) / o.stride[0]) + 1;
  const wo = Math.floor((wd + 2 * o.padding[1] - o.dilation[1] * (kw - 1) - 1) / o.stride[1]) + 1;
  const y = arr([n, oc, ho, wo]);
  for (let b = 0; b < n; b++)
    for (let q = 0; q < oc; q++) {
      const g = Math.floor(q / ocg);
      for (let oy = 0; oy < ho; oy++)
        for (let ox = 0; ox < wo; ox++) {
          let s = bias ? bias[q] : 0;
          for (let ic = 0; ic < icg; ic++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const iy = oy * o.stride[0] - o.padding[0] + ky * o.dilation[0];
                const ix = ox * o.stride[1] - o.padding[1] + kx * o.dilation[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                const xi = ((b * c + g * icg + ic) * h + iy) * wd + ix;
                const wi = ((q * icg + ic) * kh + ky) * kw + kx;
                s += x.data[xi] * w.data[wi];
              }
          y.data[((b * oc + q) * ho + oy) * wo + ox] = s;
        }
    }
  return y;
}

/** Batched matrix product over the last two axes with NumPy broadcasting of the batch axes. */
export function matmulRef(a: Arr, b: Arr): Arr {
  const [m, k] = a.shape.slice(-2);
  const [k2, n] = b.shape.slice(-2);
  if (k !== k2) throw new Error('matmulRef: inner dimensions differ');
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const y = arr([...batch, m, n]);
  const nb = batch.reduce((p, q) => p * q, 1);
  for (let t = 0; t < nb; t++) {
    const bi = unravel(t, batch);
    const ao = sourceIndex(bi, a.shape.slice(0, -2)) * m * k;
    const bo = sourceIndex(bi, b.shape.slice(0, -2)) * k * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a.data[ao + i * k + p] * b.data[bo + p * n + j];
        y.data[(t * m + i) * n + j] = s;
      }
  }
  return y;
}

// --- broadcasting and elementwise ---------------------------------------------------------------

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`shapes [${a}] and [${b}] do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Flat index into an operand of `shape` for an output index (right-aligned, size-1 axes repeat). */
function sourceIndex(outIdx: readonly number[], shape: readonly number[]): number {
  const off = outIdx.length - shape.length;
  return ravel(shape.map((d, i) => (d === 1 ? 0 : outIdx[off + i])), shape);
}

export function broadcastRef(operands: readonly Arr[], f: (...v: number[]) => number): Arr {
  const shape = operands.map((o) => o.shape).reduce((p, q) => broadcastShape(p, q));
  const y = arr(shape);
  for (let i = 0; i < y.data.length; i++) {
    const idx = unravel(i, shape);
    y.data[i] = f(...operands.map((o) => o.data[sourceIndex(idx, o.shape)]));
  }
  return y;
}

export function mapRef(x: Arr, f: (v: number) => number): Arr {
  return arr(x.shape, Array.from(x.data, f));
}

// --- reductions and layout ----------------------------------------------------------------------

export function reduceRef(x: Arr, axes: readonly number[], keepDims: boolean, op: 'sum' | 'mean' | 'max' | 'min'): Arr {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const y = arr(kept);
  const count = axes.reduce((p, a) => p * x.shape[a], 1);
  const init = op === 'max' ? -Infinity : op === 'min' ? Infinity : 0;
  y.data.fill(init);
  for (let i = 0; i < x.data.length; i++) {
    const j = ravel(unravel(i, x.shape).map((v, a) => (axes.includes(a) ? 0 : v)), kept);
    const v = x.data[i];
    y.data[j] = op === 'max' ? Math.max(y.data[j], v) : op === 'min' ? Math.min(y.data[j], v) : y.data[j] + v;
  }
  if (op === 'mean') for (let j = 0; j < y.data.length; j++) y.data[j] /= count;
  return keepDims ? y : arr(x.shape.filter((_, i) => !axes.includes(i)), y.data);
}

export function argmaxRef(x: Arr, axis: number): Arr {
  const outShape = x.shape.filter((_, i) => i !== axis);
  const y = arr(outShape);
  const best = new Float64Array(y.data.length).fill(-Infinity);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape);
    const j = ravel(idx.filter((_, a) => a !== axis), outShape);
    // strictly greater: the first maximum wins
    if (x.data[i] > best[j]) {
      best[j] = x.data[i];
      y.data[j] = idx[axis];
    }
  }
  return y;
}

export function transposeRef(x: Arr, perm: readonly number[]): Arr {
  const shape = perm.map((p) => x.shape[p]);
  const y = arr(shape);
  for (let i = 0; i < y.data.length; i++) {
    const idx = unravel(i, shape);
    const src = new Array<number>(perm.length);
    perm.forEach((p, k) => (src[p] = idx[k]));
    y.data[i] = x.data[ravel(src, x.shape)];
  }
  return y;
}

export function sliceRef(x: Arr, begin: readonly number[], size: readonly number[]): Arr {
  const y = arr(size);
  for (let i = 0; i < y.data.length; i++) {
    const idx = unravel(i, size).map((v, a) => v + begin[a]);
    y.data[i] = x.data[ravel(idx, x.shape)];
  }
  return y;
}

export function concatRef(xs: readonly Arr[], axis: number): Arr {
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((p, x) => p + x.shape[axis], 0);
  const y = arr(shape);
  for (let i = 0; i < y.data.length; i++) {
    const idx = unravel(i, shape);
    let k = 0;
    let pos = idx[axis];
    while (pos >= xs[k].shape[axis]) pos -= xs[k++].shape[axis];
    idx[axis] = pos;
    y.data[i] = xs[k].data[ravel(idx, xs[k].shape)];
  }
  return y;
}

export function tileRef(x: Arr, reps: readonly number[]): Arr {
  const shape = x.shape.map((d, i) => d * reps[i]);
  const y = arr(shape);
  for (let i = 0; i < y.data.length; i++) {
    const idx = unravel(i, shape).map((v, a) => v % x.shape[a]);
    y.data[i] = x.data[ravel(idx, x.shape)];
  }
  return y;
}

export function gatherRef(x: Arr, indices: Arr, axis: number): Arr {
  const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const y = arr(shape);
  const ir = indices.shape.length;
  for (let i = 0; i < y.data.length; i++) {
    const idx = unravel(i, shape);
    const pick = indices.data[ravel(idx.slice(axis, axis + ir), indices.shape)];
    const src = [...idx.slice(0, axis), pick, ...idx.slice(axis + ir)];
    y.data[i] = x.data[ravel(src, x.shape)];
  }
  return y;
}

// --- spatial --------------------------------------------------------------------------------

/** PyTorch F.interpolate source coordinate of output index `dst` along one axis. */
function linearSource(dst: number, inSize: number, outSize: number, alignCorners: boolean): number {
  if (alignCorners) return outSize > 1 ? (dst * (inSize - 1)) / (outSize - 1) : 0;
  return Math.max(((dst + 0.5) * inSize) / outSize - 0.5, 0);
}

export function interpolateRef(x: Arr, size: [number, number], mode: 'nearest' | 'bilinear', alignCorners = false): Arr {
  const [n, c, h, w] = x.shape;
  const [oh, ow] = size;
  const y = arr([n, c, oh, ow]);
  const at = (p: number, iy: number, ix: number) => x.data[(p * h + iy) * w + ix];
  for (let p = 0; p < n * c; p++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        let v: number;
        if (mode === 'nearest') {
          v = at(p, Math.min(Math.floor((oy * h) / oh), h - 1), Math.min(Math.floor((ox * w) / ow), w - 1));
        } else {
          const sy = linearSource(oy, h, oh, alignCorners);
          const sx = linearSource(ox, w, ow, alignCorners);
          const y0 = Math.floor(sy);
          const x0 = Math.floor(sx);
          const y1 = Math.min(y0 + 1, h - 1);
          const x1 = Math.min(x0 + 1, w - 1);
          const ly = sy - y0;
          const lx = sx - x0;
          v = (1 - ly) * ((1 - lx) * at(p, y0, x0) + lx * at(p, y0, x1)) + ly * ((1 - lx) * at(p, y1, x0) + lx * at(p, y1, x1));
        }
        y.data[(p * oh + oy) * ow + ox] = v;
      }
  return y;
}

export interface PoolSpec {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  ceilMode: boolean;
  countIncludePad: boolean;
}

/** PyTorch's pooled output length, including the ceil-mode rule that the last window starts inside. */
export function pooledSize(size: number, k: number, s: number, p: number, ceil: boolean): number {
  const span = size + 2 * p - k;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

/** PyTorch max_pool2d / avg_pool2d (no dilation, no divisor override). */
export function poolRef(x: Arr, kind: 'max' | 'avg', o: PoolSpec): Arr {
  const [n, c, h, w] = x.shape;
  const ho = pooledSize(h, o.kernel[0], o.stride[0], o.padding[0], o.ceilMode);
  const wo = pooledSize(w, o.kernel[1], o.stride[1], o.padding[1], o.ceilMode);
  const y = arr([n, c, ho, wo]);
  for (let p = 0; p < n * c; p++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++) {
        let y0 = oy * o.stride[0] - o.padding[0];
        let x0 = ox * o.stride[1] - o.padding[1];
        let y1 = Math.min(y0 + o.kernel[0], h + o.padding[0]);
        let x1 = Math.min(x0 + o.kernel[1], w + o.padding[1]);
        const windowWithPad = (y1 - y0) * (x1 - x0);
        y0 = Math.max(y0, 0);
        x0 = Math.max(x0, 0);
        y1 = Math.min(y1, h);
        x1 = Math.min(x1, w);
        let acc = kind === 'max' ? -Infinity : 0;
        for (let iy = y0; iy < y1; iy++)
          for (let ix = x0; ix < x1; ix++) {
            const v = x.data[(p * h + iy) * w + ix];
            acc = kind === 'max' ? Math.max(acc, v) : acc + v;
          }
        if (kind === 'avg') acc /= o.countIncludePad ? windowWithPad : (y1 - y0) * (x1 - x0);
        y.data[(p * ho + oy) * wo + ox] = acc;
      }
  return y;
}

// --- detection ------------------------------------------------------------------------------

export interface RoiSpec {
  outputSize: [number, number];
  spatialScale: number;
  samplingRatio: number;
  aligned: boolean;
  mode: 'avg' | 'max';
}

/** mmcv bilinear_interpolate on one channel plane. */
function bilinearSample(plane: (iy: number, ix: number) => number, h: number, w: number, y: number, x: number): number {
  if (y < -1 || y > h || x < -1 || x > w) return 0;
  y = Math.max(y, 0);
  x = Math.max(x, 0);
  let yl = Math.floor(y);
  let xl = Math.floor(x);
  let yh = yl + 1;
  let xh = xl + 1;
  if (yl >= h - 1) {
    yl = yh = h - 1;
    y = yl;
  }
  if (xl >= w - 1) {
    xl = xh = w - 1;
    x = xl;
  }
  const ly = y - yl;
  const lx = x - xl;
  return (1 - ly) * (1 - lx) * plane(yl, xl) + (1 - ly) * lx * plane(yl, xh) + ly * (1 - lx) * plane(yh, xl) + ly * lx * plane(yh, xh);
}

/** mmcv RoIAlign, one output element at a time. features [N,C,H,W]; rois rows (b, x1, y1, x2, y2). */
export function roiAlignRef(features: Arr, rois: readonly (readonly number[])[], o: RoiSpec): Arr {
  const [, c, h, w] = features.shape;
  const [oh, ow] = o.outputSize;
  const y = arr([rois.length, c, oh, ow]);
  rois.forEach((roi, k) => {
    const off = o.aligned ? 0.5 : 0;
    const [x1, y1, x2, y2] = roi.slice(1).map((v) => v * o.spatialScale - off);
    const rw = o.aligned ? x2 - x1 : Math.max(x2 - x1, 1);
    const rh = o.aligned ? y2 - y1 : Math.max(y2 - y1, 1);
    const gh = o.samplingRatio > 0 ? o.samplingRatio : Math.ceil(rh / oh);
    const gw = o.samplingRatio > 0 ? o.samplingRatio : Math.ceil(rw / ow);
    for (let ch = 0; ch < c; ch++) {
      const base = (roi[0] * c + ch) * h * w;
      const plane = (iy: number, ix: number) => features.data[base + iy * w + ix];
      for (let py = 0; py < oh; py++)
        for (let px = 0; px < ow; px++) {
          const samples: number[] = [];
          for (let iy = 0; iy < gh; iy++)
            for (let ix = 0; ix < gw; ix++) {
              const sy = y1 + py * (rh / oh) + ((iy + 0.5) * (rh / oh)) / gh;
              const sx = x1 + px * (rw / ow) + ((ix + 0.5) * (rw / ow)) / gw;
              samples.push(bilinearSample(plane, h, w, sy, sx));
            }
          const v =
            samples.length === 0 ? 0 : o.mode === 'max' ? Math.max(...samples) : samples.reduce((p, q) => p + q, 0) / samples.length;
          y.data[((k * c + ch) * oh + py) * ow + px] = v;
        }
    }
  });
  return y;
}
