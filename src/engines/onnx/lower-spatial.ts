import type { Pool2dOptions, ResizeOptions } from '../../core/engine';
import { attr, type Attrs } from './graph';
import type { OnnxTracer } from './onnx-tracer';
import { TraceError } from './trace-error';
import * as D from './sym-dim';
import type { SymTensor } from './sym-tensor';
import type { Dim } from './sym-dim';

/**
 * Resize attributes with the tfjs engine's (and PyTorch's) semantics: nearest copies
 * src = floor(dst * in / out) (asymmetric + floor); bilinear maps half-pixel centres, or
 * corners with align_corners.
 */
function resizeAttrs(o: ResizeOptions): Attrs {
  if (o.mode === 'nearest') {
    return {
      mode: attr.string('nearest'),
      coordinate_transformation_mode: attr.string('asymmetric'),
      nearest_mode: attr.string('floor'),
    };
  }
  return {
    mode: attr.string('linear'),
    coordinate_transformation_mode: attr.string(o.alignCorners ? 'align_corners' : 'half_pixel'),
  };
}

/**
 * Resize to `o.size`. Static sizes: constant `scales` for whole-number factors (what
 * onnxruntime's blocked-layout kernels take), constant `sizes` otherwise. Dynamic sizes:
 * `scales` when the op layer says the size came from a scale factor, else `sizes` read from
 * the tensor whose dims the target size was taken from.
 */
export function lowerResize(tr: OnnxTracer, x: SymTensor, o: ResizeOptions): SymTensor {
  const attrs = resizeAttrs(o);
  const [h, w] = [x.dims[2], x.dims[3]];
  if (D.isStatic(h) && D.isStatic(w)) {
    const dims = [x.dims[0], x.dims[1], o.size[0], o.size[1]];
    if (o.size[0] % h === 0 && o.size[1] % w === 0) {
      return withScales(tr, x, [o.size[0] / h, o.size[1] / w], dims, attrs);
    }
    const sizes = concatSizes(tr, x, [tr.int64([o.size[0], o.size[1]])]);
    return tr.emit1('Resize', [x, '', '', sizes], dims, 'float32', attrs);
  }
  if (o.scaleFactor !== undefined) {
    const s = o.scaleFactor;
    return withScales(tr, x, [s, s], [x.dims[0], x.dims[1], D.scale(h, s), D.scale(w, s)], attrs);
  }
  const sources = [2, 3].map((axis) => sizeSource(tr, x, axis, o.size[axis - 2]));
  if (sources.some((s) => s === 'scale')) {
    tr.warn(
      `resize of a ${x.shape.join('x')} tensor to ${o.size.join('x')}: no tensor of that size precedes it, so the export scales by ${o.size[0] / x.shape[2]}x${o.size[1] / x.shape[3]} instead`,
    );
    const s: [number, number] = [o.size[0] / x.shape[2], o.size[1] / x.shape[3]];
    return withScales(tr, x, s, [x.dims[0], x.dims[1], D.scale(h, s[0]), D.scale(w, s[1])], attrs);
  }
  const [sh, sw] = sources as (SymTensor | number)[];
  const parts: string[] = [];
  if (typeof sh !== 'number' && sh === sw) {
    parts.push(tr.shapeSlice(sh, 2, 4));
  } else {
    parts.push(typeof sh === 'number' ? tr.int64([sh]) : tr.shapeSlice(sh, 2, 3));
    parts.push(typeof sw === 'number' ? tr.int64([sw]) : tr.shapeSlice(sw, 3, 4));
  }
  const dims: Dim[] = [
    x.dims[0],
    x.dims[1],
    typeof sh === 'number' ? sh : sh.dims[2],
    typeof sw === 'number' ? sw : sw.dims[3],
  ];
  return tr.emit1('Resize', [x, '', '', concatSizes(tr, x, parts)], dims, 'float32', attrs);
}

function withScales(tr: OnnxTracer, x: SymTensor, s: readonly [number, number] | number[], dims: Dim[], attrs: Attrs): SymTensor {
  const scales = tr.float([1, 1, s[0], s[1]], [4], 'scales');
  return tr.emit1('Resize', [x, '', scales], dims, 'float32', attrs);
}

/** [N, C] of x followed by the spatial target sizes: Resize's full-rank `sizes` input. */
function concatSizes(tr: OnnxTracer, x: SymTensor, spatial: string[]): string {
  const nc = tr.shapeSlice(x, 0, 2);
  const parts = [nc, ...spatial];
  const allConst = parts.every((p) => tr.graph.isInitializer(p));
  if (allConst) {
    const values = parts.flatMap((p) => Array.from(tr.graph.initializers.get(p)!.data as BigInt64Array));
    return tr.int64(values, undefined, 'sizes');
  }
  return tr.emit1('Concat', parts, [4], 'int64', { axis: attr.int(0) }).name;
}

/**
 * Where a target size along `axis` comes from: a static number, the newest tensor whose dim
 * has that traced size (all candidates must agree on every valid input size, else a
 * warning), or 'scale' when no tensor has it.
 */
function sizeSource(tr: OnnxTracer, x: SymTensor, axis: number, size: number): SymTensor | number | 'scale' {
  if (D.isStatic(x.dims[axis])) return size;
  const candidates = tr.spatialSources(axis, size);
  if (candidates.length === 0) {
    if (size % x.shape[axis] === 0 || x.shape[axis] % size === 0) return 'scale';
    throw new TraceError(
      `cannot tell where the resize target size ${size} (axis ${axis}) comes from: no tensor of that size precedes it; export without --dynamic`,
    );
  }
  const chosen = candidates[0];
  const rival = candidates.find((c) => !tr.space.equivalent(c.dims[axis], chosen.dims[axis]));
  if (rival) {
    tr.warn(
      `resize target size ${size} (axis ${axis}) matches tensors of different sizes for other inputs (${D.dimToString(chosen.dims[axis])} and ${D.dimToString(rival.dims[axis])}); the newest was used. Check the export at other input sizes.`,
    );
  }
  return chosen;
}

function poolAttrs(o: Pool2dOptions): Attrs {
  return {
    kernel_shape: attr.ints(o.kernel),
    strides: attr.ints(o.stride),
    pads: attr.ints([o.padding[0], o.padding[1], o.padding[0], o.padding[1]]),
    ceil_mode: attr.int(o.ceilMode ? 1 : 0),
  };
}

function poolDims(x: SymTensor, o: Pool2dOptions): Dim[] {
  return [
    x.dims[0],
    x.dims[1],
    D.window(x.dims[2], o.kernel[0], o.stride[0], o.padding[0], o.padding[0], o.ceilMode),
    D.window(x.dims[3], o.kernel[1], o.stride[1], o.padding[1], o.padding[1], o.ceilMode),
  ];
}

export function lowerMaxPool(tr: OnnxTracer, x: SymTensor, o: Pool2dOptions): SymTensor {
  return tr.emit1('MaxPool', [x], poolDims(x, o), 'float32', poolAttrs(o));
}

/**
 * Average pooling. PyTorch divides by the window cells inside input + explicit padding (with
 * count_include_pad) or inside the input (without); a ceil-mode overhang past the padding
 * never counts. onnxruntime counts that overhang with count_include_pad=1, so ceil-mode pools
 * of static size get their overhang as uncounted padding of a floor-mode pool, after an
 * explicit zero Pad when the explicit padding must count.
 */
export function lowerAvgPool(tr: OnnxTracer, x: SymTensor, o: Pool2dOptions): SymTensor {
  const dims = poolDims(x, o);
  // a window over the whole (symbolic) input is a global pool, whatever size it was traced at
  const whole =
    o.padding[0] === 0 && o.padding[1] === 0 && !(D.isStatic(x.dims[2]) && D.isStatic(x.dims[3])) &&
    o.kernel[0] === x.shape[2] && o.kernel[1] === x.shape[3];
  if (whole) return tr.emit1('GlobalAveragePool', [x], [x.dims[0], x.dims[1], 1, 1], 'float32');
  const padded = o.padding[0] > 0 || o.padding[1] > 0;
  const countPad = o.countIncludePad && padded;
  const staticHW = D.isStatic(x.dims[2]) && D.isStatic(x.dims[3]);
  if (!o.ceilMode || !staticHW) {
    if (o.ceilMode && countPad) {
      tr.warn('a ceil-mode average pool with counted padding over a dynamic size may count the ceil overhang at some sizes');
    }
    return tr.emit1('AveragePool', [x], dims, 'float32', { ...poolAttrs(o), count_include_pad: attr.int(countPad ? 1 : 0) });
  }
  const overhang = [0, 1].map((i) => {
    const n = x.shape[2 + i];
    const out = tr.space.value(dims[2 + i]);
    return Math.max(0, (out - 1) * o.stride[i] + o.kernel[i] - (n + 2 * o.padding[i]));
  });
  let input = x;
  let pads = [o.padding[0], o.padding[1], o.padding[0] + overhang[0], o.padding[1] + overhang[1]];
  if (countPad) {
    const p = [0, 0, o.padding[0], o.padding[1], 0, 0, o.padding[0], o.padding[1]];
    const pdims = [x.dims[0], x.dims[1], D.add(x.dims[2], 2 * o.padding[0]), D.add(x.dims[3], 2 * o.padding[1])];
    input = tr.emit1('Pad', [x, tr.int64(p, undefined, 'pads')], pdims, 'float32', { mode: attr.string('constant') });
    pads = [0, 0, overhang[0], overhang[1]];
  }
  return tr.emit1('AveragePool', [input], dims, 'float32', {
    kernel_shape: attr.ints(o.kernel),
    strides: attr.ints(o.stride),
    pads: attr.ints(pads),
    ceil_mode: attr.int(0),
    count_include_pad: attr.int(0),
  });
}
