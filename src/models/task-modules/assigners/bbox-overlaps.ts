import { hostTensor } from '../../../core/host-tensor';
import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import { boxCount } from '../host-boxes';

/** mmdetection's overlap modes: IoU, intersection over the first box's area, generalised IoU. */
export type OverlapMode = 'iou' | 'iof' | 'giou';

const cols = (b: Tensor, start: number, n: number) => F.narrow(b, -1, start, n);

/**
 * mmdetection's `bbox_overlaps` on engine tensors: boxes [..., M, 4] and [..., N, 4] (x1y1x2y2,
 * same leading dims) → [..., M, N], or [..., M] when `isAligned` (M = N, pairwise). Unions
 * and enclosing areas are clamped to `eps`; the arithmetic follows mmdetection's order, so
 * float32 results match it bit for bit on an engine with IEEE float32 ops.
 */
export function bboxOverlaps(b1: Tensor, b2: Tensor, mode: OverlapMode = 'iou', isAligned = false, eps = 1e-6): Tensor {
  const rank = b1.shape.length;
  if (rank < 2 || b2.shape.length !== rank) throw new Error(`bbox_overlaps: boxes of shapes [${b1.shape}] and [${b2.shape}] need the same rank >= 2`);
  const lead = b1.shape.slice(0, -2);
  if (lead.some((d, i) => d !== b2.shape[i])) throw new Error(`bbox_overlaps: leading dims of [${b1.shape}] and [${b2.shape}] differ`);
  const [rows, ncols] = [b1.shape[rank - 2], b2.shape[rank - 2]];
  if (isAligned && rows !== ncols) throw new Error(`bbox_overlaps: aligned mode needs as many boxes on both sides, got ${rows} and ${ncols}`);
  const outShape = isAligned ? [...lead, rows] : [...lead, rows, ncols];
  if (rows * ncols === 0) return F.constant(hostTensor('float32', outShape));
  if (b1.shape[rank - 1] !== 4 || b2.shape[rank - 1] !== 4) throw new Error(`bbox_overlaps: boxes need 4 coordinates, got [${b1.shape}] and [${b2.shape}]`);

  // pairwise: [..., M, 1, 4] against [..., 1, N, 4], results [..., M, N, 1]
  const a = isAligned ? b1 : F.reshape(b1, [...lead, rows, 1, 4]);
  const b = isAligned ? b2 : F.reshape(b2, [...lead, 1, ncols, 4]);
  const area = (x: Tensor) => F.mul(F.sub(cols(x, 2, 1), cols(x, 0, 1)), F.sub(cols(x, 3, 1), cols(x, 1, 1)));
  const lt = F.maximum(cols(a, 0, 2), cols(b, 0, 2));
  const rb = F.minimum(cols(a, 2, 2), cols(b, 2, 2));
  const wh = F.maximum(F.sub(rb, lt), 0);
  const overlap = F.mul(cols(wh, 0, 1), cols(wh, 1, 1));
  const area1 = area(a);
  let union = mode === 'iof' ? area1 : F.sub(F.add(area1, area(b)), overlap);
  union = F.maximum(union, eps);
  let out = F.div(overlap, union);
  if (mode === 'giou') {
    const ewh = F.maximum(F.sub(F.maximum(cols(a, 2, 2), cols(b, 2, 2)), F.minimum(cols(a, 0, 2), cols(b, 0, 2))), 0);
    const enclose = F.maximum(F.mul(cols(ewh, 0, 1), cols(ewh, 1, 1)), eps);
    out = F.sub(out, F.div(F.sub(enclose, union), enclose));
  }
  return F.reshape(out, outShape);
}

/** float32 areas (x2 - x1) * (y2 - y1) of flat boxes. */
export function boxAreas(boxes: Float32Array): Float32Array {
  const n = boxCount(boxes, 'boxes');
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) out[j] = Math.fround(boxes[4 * j + 2] - boxes[4 * j]) * Math.fround(boxes[4 * j + 3] - boxes[4 * j + 1]);
  return out;
}

/**
 * Rows of the overlap matrix of two flat box sets on the host, one row at a time through one
 * buffer, so assigning 200k anchors to many GT boxes needs O(N) memory. Every step is rounded
 * to float32 in mmdetection's order, so values (and ties between them) equal PyTorch's.
 */
export class OverlapRows {
  readonly rows: number;
  readonly cols: number;
  private readonly areas1: Float32Array;
  private readonly areas2: Float32Array;
  private readonly buf: Float32Array;
  private readonly eps: number;

  constructor(
    private readonly b1: Float32Array,
    private readonly b2: Float32Array,
    private readonly mode: OverlapMode = 'iou',
    eps = 1e-6,
  ) {
    this.rows = boxCount(b1, 'bboxes1');
    this.cols = boxCount(b2, 'bboxes2');
    this.areas1 = boxAreas(b1);
    this.areas2 = boxAreas(b2);
    this.buf = new Float32Array(this.cols);
    this.eps = Math.fround(eps);
  }

  /** Overlaps of box `i` of the first set with every box of the second (valid until the next call). */
  row(i: number): Float32Array {
    const { b1, b2, areas1, areas2, buf, mode, eps } = this;
    if (mode === 'giou') {
      for (let j = 0; j < buf.length; j++) buf[j] = pairOverlap(b1, i, areas1[i], b2, j, areas2[j], mode, eps);
      return buf;
    }
    // the assigners' hot loop (200k priors x tens of GTs): pairOverlap's IoU / IoF steps, inlined
    const f = Math.fround;
    const x1 = b1[4 * i];
    const y1 = b1[4 * i + 1];
    const x2 = b1[4 * i + 2];
    const y2 = b1[4 * i + 3];
    const a1 = areas1[i];
    const iof = mode === 'iof';
    for (let j = 0, k = 0; j < buf.length; j++, k += 4) {
      const w = f(Math.min(x2, b2[k + 2]) - Math.max(x1, b2[k]));
      const h = f(Math.min(y2, b2[k + 3]) - Math.max(y1, b2[k + 1]));
      const overlap = f(Math.max(w, 0) * Math.max(h, 0));
      let union = iof ? a1 : f(f(a1 + areas2[j]) - overlap);
      if (union < eps) union = eps;
      buf[j] = overlap / union; // the Float32Array store rounds the quotient
    }
    return buf;
  }
}

/**
 * Overlap of box i of `b1` (area a1) and box j of `b2` (area a2), every step rounded to
 * float32 in mmdetection's order; `eps` is already a float32 value.
 */
function pairOverlap(b1: Float32Array, i: number, a1: number, b2: Float32Array, j: number, a2: number, mode: OverlapMode, eps: number): number {
  const f = Math.fround;
  const [p, q] = [4 * i, 4 * j];
  const w = Math.max(f(Math.min(b1[p + 2], b2[q + 2]) - Math.max(b1[p], b2[q])), 0);
  const h = Math.max(f(Math.min(b1[p + 3], b2[q + 3]) - Math.max(b1[p + 1], b2[q + 1])), 0);
  const overlap = f(w * h);
  let union = mode === 'iof' ? a1 : f(f(a1 + a2) - overlap);
  if (union < eps) union = eps; // torch.max(union, eps): NaN stays NaN
  const iou = f(overlap / union);
  if (mode !== 'giou') return iou;
  const ew = Math.max(f(Math.max(b1[p + 2], b2[q + 2]) - Math.min(b1[p], b2[q])), 0);
  const eh = Math.max(f(Math.max(b1[p + 3], b2[q + 3]) - Math.min(b1[p + 1], b2[q + 1])), 0);
  let enclose = f(ew * eh);
  if (enclose < eps) enclose = eps;
  return f(iou - f(f(enclose - union) / enclose));
}

/** `bbox_overlaps` on the host: the [M * N] matrix (row-major), or [M] when aligned. */
export function bboxOverlapsHost(b1: Float32Array, b2: Float32Array, mode: OverlapMode = 'iou', isAligned = false, eps = 1e-6): Float32Array {
  if (isAligned) return alignedOverlapsHost(b1, b2, mode, eps);
  const rows = new OverlapRows(b1, b2, mode, eps);
  const out = new Float32Array(rows.rows * rows.cols);
  for (let i = 0; i < rows.rows; i++) out.set(rows.row(i), i * rows.cols);
  return out;
}

function alignedOverlapsHost(b1: Float32Array, b2: Float32Array, mode: OverlapMode, eps: number): Float32Array {
  const n = boxCount(b1, 'bboxes1');
  if (boxCount(b2, 'bboxes2') !== n) throw new Error(`bbox_overlaps: aligned mode needs as many boxes on both sides, got ${n} and ${b2.length / 4}`);
  const [areas1, areas2, e] = [boxAreas(b1), boxAreas(b2), Math.fround(eps)];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = pairOverlap(b1, i, areas1[i], b2, i, areas2[i], mode, e);
  return out;
}
