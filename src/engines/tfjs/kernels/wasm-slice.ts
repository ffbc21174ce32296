/**
 * Slice, SplitV and StridedSlice for tfjs-wasm that read the input in place. tfjs-wasm's own
 * Slice copies the whole input out of the wasm heap on every call (readSync), so slicing a
 * chunk from a large tensor costs as much as copying all of it; its SplitV pays that once per
 * piece, and its StridedSlice with a step > 1 and its Reverse run at ~15 M elements/s.
 */
import * as tf from '@tensorflow/tfjs-core';
import { originalKernel, type KernelArgs, type KernelResult } from './kernel-registry';

type Dense = Float32Array | Int32Array | Uint8Array;

/** The parts of tfjs-wasm's BackendWasm that kernels written in JS use. */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A view into the heap: invalid after the heap grows, so take it after every makeOutput. */
  typedArrayFromHeap(t: tf.TensorInfo): Dense;
}

/** Runs shorter than this are copied element by element: a subarray view costs more. */
const SHORT_RUN = 32;

/**
 * Copy the box [begin, begin + size) of a row-major array of `shape` into `dst` (packed,
 * row-major, from `dstOffset`). Trailing axes taken whole merge into one contiguous run.
 */
export function copyBox(
  src: Dense,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  dst: Dense,
  dstOffset = 0,
): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[dstOffset] = src[0];
    return;
  }
  const strides = tf.util.computeStrides([...shape]).concat(1);
  let inner = rank - 1;
  while (inner > 0 && size[inner] === shape[inner]) inner--;
  const run = size[inner] * strides[inner];
  let base = 0;
  for (let i = 0; i <= inner; i++) base += begin[i] * strides[i];
  const counter = new Array<number>(inner).fill(0);
  let outer = 1;
  for (let i = 0; i < inner; i++) outer *= size[i];
  let d = dstOffset;
  let s = base;
  for (let n = 0; n < outer; n++) {
    if (run >= SHORT_RUN) dst.set(src.subarray(s, s + run), d);
    else for (let k = 0; k < run; k++) dst[d + k] = src[s + k];
    d += run;
    // odometer over the outer axes
    for (let ax = inner - 1; ax >= 0; ax--) {
      s += strides[ax];
      if (++counter[ax] < size[ax]) break;
      s -= size[ax] * strides[ax];
      counter[ax] = 0;
    }
  }
}

/**
 * Copy the elements begin + i * step (i < size, per axis; steps may be negative) of a
 * row-major array of `shape` into `dst`, packed and row-major.
 */
export function copyStrided(
  src: Dense,
  shape: readonly number[],
  begin: readonly number[],
  step: readonly number[],
  size: readonly number[],
  dst: Dense,
): void {
  if (step.every((s) => s === 1)) {
    copyBox(src, shape, begin, size, dst);
    return;
  }
  const rank = shape.length;
  const strides = tf.util.computeStrides([...shape]).concat(1);
  const last = rank - 1;
  const innerStep = step[last] * strides[last];
  const innerSize = size[last];
  const counter = new Array<number>(last).fill(0);
  let outer = 1;
  for (let i = 0; i < last; i++) outer *= size[i];
  let s = 0;
  for (let i = 0; i < rank; i++) s += begin[i] * strides[i];
  let d = 0;
  for (let n = 0; n < outer; n++) {
    if (step[last] === 1 && innerSize >= SHORT_RUN) dst.set(src.subarray(s, s + innerSize), d);
    else for (let k = 0, o = s; k < innerSize; k++, o += innerStep) dst[d + k] = src[o];
    d += innerSize;
    for (let ax = last - 1; ax >= 0; ax--) {
      s += step[ax] * strides[ax];
      if (++counter[ax] < size[ax]) break;
      s -= size[ax] * step[ax] * strides[ax];
      counter[ax] = 0;
    }
  }
}

function sliceInfo(backend: WasmBackendLike, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  if (tf.util.sizeFromShape(size) === 0) return out;
  copyBox(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
  return out;
}

export function wasmSlice(args: KernelArgs): KernelResult {
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === 'string') return originalKernel(tf.Slice, 'wasm')!(args);
  const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
  const [b, s] = tf.slice_util.parseSliceParams(x, begin, size);
  return sliceInfo(args.backend as WasmBackendLike, x, b, s);
}

export function wasmSplitV(args: KernelArgs): KernelResult {
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === 'string') return originalKernel(tf.SplitV, 'wasm')!(args);
  const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, ax);
  const begin = x.shape.map(() => 0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[ax] = s;
    const piece = sliceInfo(args.backend as WasmBackendLike, x, [...begin], size);
    begin[ax] += s;
    return piece;
  });
}

export function wasmStridedSlice(args: KernelArgs): KernelResult {
  const x = args.inputs.x as tf.TensorInfo;
  const a = args.attrs as unknown as tf.StridedSliceAttrs;
  const info = tf.slice_util.sliceInfo(
    x.shape,
    a.begin,
    a.end,
    a.strides,
    a.beginMask,
    a.endMask,
    a.ellipsisMask,
    a.newAxisMask,
    a.shrinkAxisMask,
  );
  if (x.dtype === 'string' || info.begin.length !== x.shape.length) return originalKernel(tf.StridedSlice, 'wasm')!(args);
  const size = tf.slice_util.computeOutShape(info.begin, info.end, info.strides);
  const backend = args.backend as WasmBackendLike;
  // the output holds the selected elements in order: the final shape only drops or adds 1s
  const out = backend.makeOutput(info.finalShape, x.dtype);
  if (tf.util.sizeFromShape(size) === 0) return out;
  copyStrided(backend.typedArrayFromHeap(x), x.shape, info.begin, info.strides, size, backend.typedArrayFromHeap(out));
  return out;
}

export function wasmReverse(args: KernelArgs): KernelResult {
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === 'string') return originalKernel(tf.Reverse, 'wasm')!(args);
  const dims = tf.util.parseAxisParam((args.attrs as unknown as tf.ReverseAttrs).dims, x.shape);
  const backend = args.backend as WasmBackendLike;
  const out = backend.makeOutput(x.shape, x.dtype);
  if (tf.util.sizeFromShape(x.shape) === 0) return out;
  const begin = x.shape.map((d, i) => (dims.includes(i) ? d - 1 : 0));
  const step = x.shape.map((_, i) => (dims.includes(i) ? -1 : 1));
  copyStrided(backend.typedArrayFromHeap(x), x.shape, begin, step, x.shape, backend.typedArrayFromHeap(out));
  return out;
}
