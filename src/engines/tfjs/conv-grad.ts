/**
 * Gradients of a 2-D convolution (NHWC data, tfjs filter layout [kh, kw, in, out]) written
 * with forward ops only, so they run on every backend at the speed of its forward conv and
 * plain matMul. tfjs-wasm has no Conv2DBackpropFilter, and its Conv2DBackpropInput and
 * transposed matMul run an order of magnitude below its forward conv.
 *
 * - input gradient: a transposed convolution, split by stride phase into dense stride-1
 *   convolutions of dy with the flipped, in/out-swapped sub-filter of each phase (no zeros
 *   are inserted into dy, so a stride-2 backward does no wasted work);
 * - filter gradient: one plain matMul per chunk of output positions, [taps*in, positions] x
 *   [positions, out]. The left operand's rows are contiguous slices of the input's phase
 *   images laid out [in, N*H*W]: each tap is a constant shift there, so no im2col is built
 *   element by element.
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

/** Put phase (ry, rx)'s row m at input position m * stride + phase - padBefore. */
function interleave(
  parts: tf.Tensor4D[],
  g: ConvGeometry,
  rowsH: { first: number; count: number },
  rowsW: { first: number; count: number },
): tf.Tensor4D {
  const [n, mh, mw, c] = parts[0].shape;
  const [sh, sw] = [g.h.stride, g.w.stride];
  const stacked = tf.reshape(tf.stack(parts), [sh, sw, n * mh, mw, c]);
  const full = tf.reshape(tf.transpose(stacked, [2, 0, 3, 1, 4]), [n, mh * sh, mw * sw, c]);
  const top = g.h.padBefore - rowsH.first * sh;
  const left = g.w.padBefore - rowsW.first * sw;
  return tf.slice(full, [0, top, left, 0], [n, g.h.inSize, g.w.inSize, c]) as tf.Tensor4D;
}

// --- filter gradient -----------------------------------------------------------------------

/** Floats of the [taps*in, positions] operand built per matMul: a few MB keeps it in cache. */
const CHUNK_FLOATS = 1 << 21;

/** Per axis: where tap t reads in the phase images (phase, shift) and their length. */
function tapLayout(a: ConvAxis) {
  const phase = (t: number) => (t * a.dilation) % a.stride;
  const shift = (t: number) => Math.floor((t * a.dilation) / a.stride);
  const maxShift = shift(a.kernel - 1);
  return { phase, shift, maxShift, length: a.outSize + maxShift };
}

/** dW of y = conv(x, filter), given dy; returns [kh, kw, in, out]. */
export function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const [n, , , cin] = x.shape;
  const cout = dy.shape[3];
  const [kh, kw] = [g.h.kernel, g.w.kernel];
  const ly = tapLayout(g.h);
  const lx = tapLayout(g.w);
  const positions = n * ly.length * lx.length;
  const tail = ly.maxShift * lx.length + lx.maxShift;
  const keep: tf.Tensor[] = [];
  // phase images of the (cropped / zero-padded) input, each flattened to [in, positions + tail]
  const phases = new Map<string, tf.Tensor2D>();
  const dyFlat = tf.tidy(() => {
    const xw = window(tf.transpose(x, [3, 0, 1, 2]), [2, 3], [
      [-g.h.padBefore, ly.length * g.h.stride],
      [-g.w.padBefore, lx.length * g.w.stride],
    ]);
    for (let ty = 0; ty < kh; ty++) {
      for (let tx = 0; tx < kw; tx++) {
        const key = `${ly.phase(ty)},${lx.phase(tx)}`;
        if (phases.has(key)) continue;
        const strided = g.h.stride > 1 || g.w.stride > 1;
        const img = strided
          ? tf.stridedSlice(xw, [0, 0, ly.phase(ty), lx.phase(tx)], xw.shape, [1, 1, g.h.stride, g.w.stride])
          : xw;
        const flat = tf.pad(tf.reshape(img, [cin, positions]), [[0, 0], [0, tail]]) as tf.Tensor2D;
        phases.set(key, tf.keep(flat));
        keep.push(flat);
      }
    }
    return tf.reshape(window(dy, [1, 2], [[0, ly.length], [0, lx.length]]), [positions, cout]) as tf.Tensor2D;
  });
  keep.push(dyFlat);
  const chunk = Math.max(256, Math.floor(CHUNK_FLOATS / (kh * kw * cin)));
  let acc: tf.Tensor2D | null = null;
  for (let p0 = 0; p0 < positions; p0 += chunk) {
    const pc = Math.min(chunk, positions - p0);
    const next = tf.tidy((): tf.Tensor2D => {
      const rows: tf.Tensor2D[] = [];
      for (let ty = 0; ty < kh; ty++) {
        for (let tx = 0; tx < kw; tx++) {
          const img = phases.get(`${ly.phase(ty)},${lx.phase(tx)}`)!;
          const shift = ly.shift(ty) * lx.length + lx.shift(tx);
          rows.push(tf.slice(img, [0, p0 + shift], [cin, pc]));
        }
      }
      const cols = rows.length === 1 ? rows[0] : (tf.concat(rows, 0) as tf.Tensor2D);
      const part = tf.matMul(cols, tf.slice(dyFlat, [p0, 0], [pc, cout]) as tf.Tensor2D) as tf.Tensor2D;
      return acc ? (tf.add(acc, part) as tf.Tensor2D) : part;
    });
    acc?.dispose();
    acc = next;
  }
  keep.forEach((t) => t.dispose());
  const result = tf.reshape(acc!, [kh, kw, cin, cout]) as tf.Tensor4D;
  acc!.dispose();
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
