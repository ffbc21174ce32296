/**
 * Gradients of a 2-D convolution (NHWC data, tfjs filter layout [kh, kw, in, out]) written
 * with forward ops only, so they run on every backend at the speed of its forward conv and
 * plain matMul. tfjs-wasm has no Conv2DBackpropFilter, and its Conv2DBackpropInput and
 * transposed matMul run an order of magnitude below its forward conv.
 *
 * - input gradient: a transposed convolution, split by stride phase into dense stride-1
 *   convolutions of dy with the flipped, in/out-swapped sub-filter of each phase (no zeros
 *   are inserted into dy, so a stride-2 backward does no wasted work);
 * - filter gradient: per chunk of output positions and per tap, one plain matMul
 *   [in, positions] x [positions, out]. With the input's stride phases laid out [in, N*H*W]
 *   each tap is a constant shift along the positions, so its operand is a contiguous slice
 *   and no im2col is built.
 */
import * as tf from '@tensorflow/tfjs-core';
import { axisPhases, type AxisPhase, type ConvAxis, type ConvGeometry } from './conv-geometry';

type Range = readonly [start: number, length: number];

/**
 * Elements [start, start + length) of two axes, with zeros where the range leaves the
 * tensor: a crop and a zero pad in one.
 */
export function window<T extends tf.Tensor>(t: T, axes: readonly [number, number], ranges: readonly [Range, Range]): T {
  const begin = t.shape.map(() => 0);
  const size = [...t.shape];
  const pads: [number, number][] = t.shape.map(() => [0, 0]);
  let empty = false;
  axes.forEach((axis, i) => {
    const [start, length] = ranges[i];
    const lo = Math.min(Math.max(start, 0), t.shape[axis]);
    const hi = Math.min(Math.max(start + length, 0), t.shape[axis]);
    if (hi <= lo) empty = true;
    begin[axis] = lo;
    size[axis] = Math.max(hi - lo, 0);
    pads[axis] = [lo - start, start + length - hi];
  });
  if (empty) {
    const shape = [...t.shape];
    axes.forEach((axis, i) => (shape[axis] = ranges[i][1]));
    return tf.zeros(shape, t.dtype) as T;
  }
  const whole = size.every((s, i) => s === t.shape[i]);
  const cropped = whole ? t : tf.slice(t, begin, size);
  const padded = pads.some(([a, b]) => a > 0 || b > 0);
  return (padded ? tf.pad(cropped, pads) : cropped) as T;
}

// --- input gradient ------------------------------------------------------------------------

/** Rows m of the phase outputs: input position m * stride + phase - padBefore. */
function phaseRows(a: ConvAxis): { first: number; count: number } {
  const first = Math.floor(a.padBefore / a.stride);
  const last = Math.floor((a.inSize - 1 + a.padBefore) / a.stride);
  return { first, count: last - first + 1 };
}

/**
 * dx of y = conv(x, filter) (or depthwiseConv2d with channel multiplier 1), given dy.
 * filter: [kh, kw, in, out] (depthwise: [kh, kw, C, 1]).
 */
export function convInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, g: ConvGeometry, depthwise = false): tf.Tensor4D {
  return tf.tidy(() => {
    const [n] = dy.shape;
    const cin = filter.shape[2];
    const rowsH = phaseRows(g.h);
    const rowsW = phaseRows(g.w);
    const byPhase = (a: ConvAxis) => {
      const list: (AxisPhase | null)[] = Array(a.stride).fill(null);
      for (const p of axisPhases(a)) list[p.phase] = p;
      return list;
    };
    const phH = byPhase(g.h);
    const phW = byPhase(g.w);
    const parts: tf.Tensor4D[] = [];
    for (const py of phH) {
      for (const px of phW) {
        parts.push(
          py && px
            ? phaseConv(dy, filter, py, px, rowsH, rowsW, depthwise)
            : tf.zeros([n, rowsH.count, rowsW.count, cin]),
        );
      }
    }
    if (parts.length === 1) return parts[0];
    return interleave(parts, g, rowsH, rowsW);
  });
}

/** One stride phase of the transposed convolution: a dense 'valid' conv of a dy window. */
function phaseConv(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  py: AxisPhase,
  px: AxisPhase,
  rowsH: { first: number; count: number },
  rowsW: { first: number; count: number },
  depthwise: boolean,
): tf.Tensor4D {
  const [kh, kw, cin, cout] = filter.shape;
  const whole = py.first === 0 && py.step === 1 && py.count === kh && px.first === 0 && px.step === 1 && px.count === kw;
  let sub = whole
    ? filter
    : (tf.stridedSlice(
        filter,
        [py.first, px.first, 0, 0],
        [py.first + (py.count - 1) * py.step + 1, px.first + (px.count - 1) * px.step + 1, cin, cout],
        [py.step, px.step, 1, 1],
      ) as tf.Tensor4D);
  sub = tf.reverse(sub, [0, 1]);
  if (!depthwise) sub = tf.transpose(sub, [0, 1, 3, 2]);
  const dil: [number, number] = [py.count > 1 ? py.shift : 1, px.count > 1 ? px.shift : 1];
  const lastY = py.offset + (py.count - 1) * py.shift;
  const lastX = px.offset + (px.count - 1) * px.shift;
  const win = window(dy, [1, 2], [
    [rowsH.first - lastY, rowsH.count + (py.count - 1) * dil[0]],
    [rowsW.first - lastX, rowsW.count + (px.count - 1) * dil[1]],
  ]);
  return depthwise
    ? tf.depthwiseConv2d(win, sub, 1, 'valid', 'NHWC', dil)
    : tf.conv2d(win, sub, 1, 'valid', 'NHWC', dil);
}

/**
 * Put phase (ry, rx)'s element (m, q) at input position (m * sh + ry, q * sw + rx) - pad.
 * Joining phases along channels then along width and reshaping interleaves them without a
 * transpose (tfjs-wasm's rank-5 transpose runs at a few M elements/s).
 */
function interleave(
  parts: tf.Tensor4D[],
  g: ConvGeometry,
  rowsH: { first: number; count: number },
  rowsW: { first: number; count: number },
): tf.Tensor4D {
  const [n, mh, mw, c] = parts[0].shape;
  const [sh, sw] = [g.h.stride, g.w.stride];
  const rows: tf.Tensor[] = [];
  for (let ry = 0; ry < sh; ry++) {
    const phaseRow = parts.slice(ry * sw, (ry + 1) * sw);
    // [n, mh, mw, sw * c] → [n, mh, mw * sw, c]: column q * sw + rx
    rows.push(tf.reshape(phaseRow.length === 1 ? phaseRow[0] : tf.concat(phaseRow, 3), [n, mh, mw * sw, c]));
  }
  // [n, mh, sh * mw * sw, c] → [n, mh * sh, mw * sw, c]: row m * sh + ry
  const full = tf.reshape(rows.length === 1 ? rows[0] : tf.concat(rows, 2), [n, mh * sh, mw * sw, c]);
  const top = g.h.padBefore - rowsH.first * sh;
  const left = g.w.padBefore - rowsW.first * sw;
  return tf.slice(full, [0, top, left, 0], [n, g.h.inSize, g.w.inSize, c]) as tf.Tensor4D;
}

// --- filter gradient -----------------------------------------------------------------------

/** Output positions per matMul: slices of about 4 MB, so a few of them stay in cache. */
const chunkPositions = (cin: number) => Math.min(16384, Math.max(2048, Math.floor((1 << 20) / cin)));

/** Per axis: where tap t reads in the phase images (phase, shift) and their length. */
function tapLayout(a: ConvAxis) {
  const phase = (t: number) => (t * a.dilation) % a.stride;
  const shift = (t: number) => Math.floor((t * a.dilation) / a.stride);
  return { phase, shift, length: a.outSize + shift(a.kernel - 1) };
}

/**
 * dW of y = conv(x, filter), given dy; returns [kh, kw, in, out].
 *
 * The input is cropped/zero-padded and split into stride phases, each laid out [in, N*Lh*Lw]
 * (Lh, Lw: output size plus the largest tap shift); dy is zero-padded to the same grid and
 * laid out [N*Lh*Lw, out]. Tap (ty, tx) reads column p + shift(ty, tx) for output position p,
 * so per chunk of positions dW[tap] += x[:, p0 + shift : + chunk] x dy[p0 : + chunk] is one
 * plain matMul of contiguous slices. dy is the right operand: tfjs-wasm packs it once per chunk
 * and reuses it for every tap (a fresh right operand per matMul halves its throughput).
 */
export function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const [n, , , cin] = x.shape;
  const cout = dy.shape[3];
  const [kh, kw] = [g.h.kernel, g.w.kernel];
  const [sh, sw] = [g.h.stride, g.w.stride];
  const ly = tapLayout(g.h);
  const lx = tapLayout(g.w);
  const grid = ly.length * lx.length;
  // positions past the last output of the last image carry zero dy: skip them; this also
  // keeps every tap's shifted window inside the phase images
  const positions = (n - 1) * grid + (g.h.outSize - 1) * lx.length + g.w.outSize;
  const phases = new Map<string, tf.Tensor2D>();
  const dyRows = tf.tidy(() => {
    const xw = window(x, [1, 2], [
      [-g.h.padBefore, ly.length * sh],
      [-g.w.padBefore, lx.length * sw],
    ]);
    // [n, Lh, sh, Lw, sw * in]: phase (ry, rx) is a plain slice of this view
    const split = tf.reshape(xw, [n, ly.length, sh, lx.length, sw * cin]);
    for (let ty = 0; ty < kh; ty++) {
      for (let tx = 0; tx < kw; tx++) {
        const [ry, rx] = [ly.phase(ty), lx.phase(tx)];
        const key = `${ry},${rx}`;
        if (phases.has(key)) continue;
        const img = sh * sw === 1 ? xw : tf.slice(split, [0, 0, ry, 0, rx * cin], [n, ly.length, 1, lx.length, cin]);
        const cols = tf.transpose(tf.reshape(img, [n * grid, cin])) as tf.Tensor2D;
        phases.set(key, tf.keep(cols));
      }
    }
    return tf.reshape(window(dy, [1, 2], [[0, ly.length], [0, lx.length]]), [n * grid, cout]) as tf.Tensor2D;
  });
  let acc: tf.Tensor2D[] = [];
  const chunk = chunkPositions(cin);
  for (let p0 = 0; p0 < positions; p0 += chunk) {
    const pc = Math.min(chunk, positions - p0);
    const next = tf.tidy(() => {
      const dyChunk = tf.slice(dyRows, [p0, 0], [pc, cout]) as tf.Tensor2D;
      const out: tf.Tensor2D[] = [];
      for (let ty = 0; ty < kh; ty++) {
        for (let tx = 0; tx < kw; tx++) {
          const cols = phases.get(`${ly.phase(ty)},${lx.phase(tx)}`)!;
          const shift = ly.shift(ty) * lx.length + lx.shift(tx);
          const part = tf.matMul(tf.slice(cols, [0, p0 + shift], [cin, pc]) as tf.Tensor2D, dyChunk) as tf.Tensor2D;
          const t = out.length;
          out.push(acc.length > 0 ? (tf.add(acc[t], part) as tf.Tensor2D) : part);
        }
      }
      return out;
    });
    acc.forEach((t) => t.dispose());
    acc = next;
  }
  const result = tf.tidy(() => tf.reshape(tf.stack(acc), [kh, kw, cin, cout]) as tf.Tensor4D);
  acc.forEach((t) => t.dispose());
  phases.forEach((t) => t.dispose());
  dyRows.dispose();
  return result;
}

/** dW of a depthwise conv (channel multiplier 1), given dy; returns [kh, kw, C, 1]. */
export function depthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, , , c] = x.shape;
    const [kh, kw] = [g.h.kernel, g.w.kernel];
    const span = (a: ConvAxis) => (a.outSize - 1) * a.stride + (a.kernel - 1) * a.dilation + 1;
    const xw = window(x, [1, 2], [
      [-g.h.padBefore, span(g.h)],
      [-g.w.padBefore, span(g.w)],
    ]);
    const taps: tf.Tensor[] = [];
    for (let ty = 0; ty < kh; ty++) {
      for (let tx = 0; tx < kw; tx++) {
        const y0 = ty * g.h.dilation;
        const x0 = tx * g.w.dilation;
        const seen = tf.stridedSlice(
          xw,
          [0, y0, x0, 0],
          [n, y0 + (g.h.outSize - 1) * g.h.stride + 1, x0 + (g.w.outSize - 1) * g.w.stride + 1, c],
          [1, g.h.stride, g.w.stride, 1],
        );
        taps.push(tf.sum(tf.mul(seen, dy), [0, 1, 2]));
      }
    }
    return tf.reshape(tf.stack(taps), [kh, kw, c, 1]) as tf.Tensor4D;
  });
}

// --- entry points --------------------------------------------------------------------------

/** Geometry tfjs's backprop kernels express: they take no dilation (its depthwise ones ignore it). */
function kernelExpressible(g: ConvGeometry): boolean {
  return g.h.dilation === 1 && g.w.dilation === 1;
}

function kernelAttrs(g: ConvGeometry): tf.NamedAttrMap {
  return {
    strides: [g.h.stride, g.w.stride],
    dilations: [g.h.dilation, g.w.dilation],
    pad: [
      [0, 0],
      [g.h.padBefore, g.h.padBefore],
      [g.w.padBefore, g.w.padBefore],
      [0, 0],
    ],
    dataFormat: 'NHWC',
  };
}

/**
 * dx of a convolution with symmetric padding. Goes through the backend's backprop kernel
 * where one can express the geometry (hrdet installs fast ones on wasm; native kernels win
 * on cpu and tfjs-node), else straight to the formulation above.
 */
export function inputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, g: ConvGeometry, inShape: number[], depthwise = false): tf.Tensor4D {
  if (!kernelExpressible(g) || !symmetric(g, inShape)) return convInputGrad(dy, filter, g, depthwise);
  const name = depthwise ? tf.DepthwiseConv2dNativeBackpropInput : tf.Conv2DBackpropInput;
  return tf.engine().runKernel(name, { dy, filter }, { ...kernelAttrs(g), inputShape: inShape }) as tf.Tensor4D;
}

/** dW of a convolution with symmetric padding; see inputGradient. */
export function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry, filterShape: number[], depthwise = false): tf.Tensor4D {
  if (!kernelExpressible(g) || !symmetric(g, x.shape)) {
    return depthwise ? depthwiseFilterGrad(x, dy, g) : convFilterGrad(x, dy, g);
  }
  const name = depthwise ? tf.DepthwiseConv2dNativeBackpropFilter : tf.Conv2DBackpropFilter;
  return tf.engine().runKernel(name, { x, dy }, { ...kernelAttrs(g), filterShape }) as tf.Tensor4D;
}

/** The geometry is the one explicit symmetric padding of this input gives (what the kernels assume). */
function symmetric(g: ConvGeometry, inShape: number[]): boolean {
  const out = (a: ConvAxis, size: number) =>
    Math.floor((size + 2 * a.padBefore - a.dilation * (a.kernel - 1) - 1) / a.stride) + 1;
  return out(g.h, inShape[1]) === g.h.outSize && out(g.w, inShape[2]) === g.w.outSize;
}
