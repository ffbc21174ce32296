import type { NmsOptions, RoiAlignOptions } from '../../core/engine';
import { attr } from './graph';
import type { OnnxTracer } from './onnx-tracer';
import { TraceError } from './trace-error';
import * as D from './sym-dim';
import type { SymTensor } from './sym-tensor';

/** Keep every box: NonMaxSuppression treats 0 as "none", so "all" is a count no input reaches. */
const ALL_BOXES = 2 ** 31 - 1;

/**
 * NMS with the op layer's semantics (greedy, IoU > threshold suppresses, scores at or below
 * the score threshold dropped, ties in score keep the lower index first, kept indices in
 * descending score order) on standard ONNX ops:
 *
 * - boxes are made x1 <= x2, y1 <= y2 by clamping the far corner, so an inverted box has no
 *   area, as in the eager engine (NonMaxSuppression itself would flip it);
 * - boxes are pre-sorted with TopK, which breaks ties by the lower index, and scored by rank,
 *   so NonMaxSuppression's own order (undefined for equal scores) cannot differ;
 * - the score threshold becomes a threshold on the rank.
 */
export function lowerNms(tr: OnnxTracer, boxes: SymTensor, scores: SymTensor, o: NmsOptions): SymTensor {
  const n = scores.dims[0];
  const nTraced = scores.shape[0];
  const lo = tr.slice(boxes, [0, 0], [nTraced, 2]) as SymTensor;
  const hi = tr.slice(boxes, [0, 2], [nTraced, 2]) as SymTensor;
  const canonical = tr.concat([lo, tr.binary('maximum', lo, hi)], 1) as SymTensor;

  const k = tr.shapeSlice(scores, 0, 1);
  const [, order] = tr.emit(
    'TopK',
    [scores, k],
    [
      { dims: [n], dtype: 'float32' },
      { dims: [n], dtype: 'int32' },
    ],
    { axis: attr.int(0), largest: attr.int(1), sorted: attr.int(1) },
  );
  const sortedBoxes = tr.gather(canonical, order, 0) as SymTensor;
  const rankScore = negativeRanks(tr, scores);

  const b3 = tr.unsqueeze(sortedBoxes, [0]);
  const s3 = tr.unsqueeze(rankScore, [0, 1]);
  const limit = o.maxOutput < 0 ? ALL_BOXES : o.maxOutput;
  const inputs: string[] = [b3.name, s3.name, tr.int64([limit], [1], 'max_boxes'), tr.float([o.iouThreshold], [1], 'iou_threshold')];
  if (o.scoreThreshold !== -Infinity) {
    // rank r (score -r) is kept iff r < count(score > threshold)
    const above = tr.cast(tr.compare('greater', scores, tr.scalar(o.scoreThreshold)), 'float32');
    const count = tr.reduce('sum', above, [0], false);
    inputs.push((tr.binary('sub', tr.scalar(0.5), count) as SymTensor).name);
  }
  const bound = Math.min(nTraced, limit);
  const kept = tr.dataDependentDim('nms_kept', bound);
  const selected = tr.emit1('NonMaxSuppression', inputs, [kept, 3], 'int32', { center_point_box: attr.int(0) });
  const rank = tr.emit1('Gather', [selected, tr.int64([2], [], 'box_column')], [kept], 'int32', { axis: attr.int(1) });
  return tr.gather(order, rank, 0) as SymTensor;
}

/** Scores 0, -1, -2, ... for boxes in sorted order: strictly decreasing, so the order is fixed. */
function negativeRanks(tr: OnnxTracer, scores: SymTensor): SymTensor {
  const n = scores.dims[0];
  if (D.isStatic(n)) {
    return tr.constant({ dtype: 'float32', shape: [n], data: Float32Array.from({ length: n }, (_, i) => -i) }) as SymTensor;
  }
  const count = tr.emit1('Squeeze', [tr.shapeSlice(scores, 0, 1), tr.int64([0], [1], 'axes')], [], 'int32');
  const range = tr.emit1('Range', [tr.int64([0], [], 'start'), count, tr.int64([1], [], 'delta')], [n], 'int32');
  return tr.unary('neg', tr.cast(range, 'float32')) as SymTensor;
}

/**
 * RoIAlign on [K, 5] rois (batch index, x1, y1, x2, y2). mmcv's `aligned` is ONNX's
 * half_pixel coordinate mode (opset 16); unaligned RoIs use output_half_pixel, which also
 * keeps the 1-pixel minimum RoI size.
 */
export function lowerRoiAlign(tr: OnnxTracer, features: SymTensor, rois: SymTensor, o: RoiAlignOptions): SymTensor {
  if (o.mode === 'max') {
    // onnxruntime's max mode takes the max of the weighted corner values, not of the interpolated samples
    throw new TraceError("RoIAlign with mode 'max' has no exact ONNX equivalent; use mode 'avg' to export");
  }
  const k = rois.dims[0];
  const batchIndex = tr.cast(
    tr.emit1('Gather', [rois, tr.int64([0], [], 'batch_column')], [k], 'float32', { axis: attr.int(1) }),
    'int32',
  );
  const boxes = tr.slice(rois, [0, 1], [rois.shape[0], 4]);
  return tr.emit1('RoiAlign', [features, boxes, batchIndex], [k, features.dims[1], o.outputSize[0], o.outputSize[1]], 'float32', {
    mode: attr.string(o.mode),
    output_height: attr.int(o.outputSize[0]),
    output_width: attr.int(o.outputSize[1]),
    sampling_ratio: attr.int(o.samplingRatio),
    spatial_scale: attr.float(o.spatialScale),
    coordinate_transformation_mode: attr.string(o.aligned ? 'half_pixel' : 'output_half_pixel'),
  });
}
