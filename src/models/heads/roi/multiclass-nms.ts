import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import type { NmsCfg } from './nms-cfg';

/** Detections of one image: boxes [M, 4], scores [M], labels [M] (int32), best first. */
export interface Detections {
  bboxes: Tensor;
  scores: Tensor;
  labels: Tensor;
}

/**
 * mmdetection's multiclass_nms: `bboxes` [R, 4K] (class-specific) or [R, 4] (shared by every
 * class), `scores` [R, K + 1] with the background last. Candidates are the (RoI, class) pairs
 * scoring > scoreThr (float32, as torch compares), RoI-major; class-aware NMS (mmcv's
 * coordinate offsets, over the candidates); the first `maxNum` (< 0: all).
 *
 * Every (RoI, class) pair stays in the NMS's list, the candidates marked `valid`, so that no
 * size depends on the scores before the NMS itself (the same code traces into ONNX): the kept
 * pairs and their order are those of NMS over the selected candidates.
 */
export function multiclassNms(bboxes: Tensor, scores: Tensor, scoreThr: number, nms: NmsCfg, maxNum: number): Detections {
  const [R, K1] = scores.shape;
  const K = K1 - 1;
  const fg2d = F.narrow(scores, 1, 0, K);
  const fg = F.reshape(fg2d, [-1]);
  // [R, K, 4]: the shared boxes repeated per class (adding zeros keeps their values exact)
  const perClass =
    bboxes.shape[1] === 4 ? F.add(F.reshape(bboxes, [R, 1, 4]), F.constant({ dtype: 'float32', shape: [1, K, 1], data: new Float32Array(K) })) : F.reshape(bboxes, [R, K, 4]);
  const boxes = F.reshape(perClass, [R * K, 4]);
  const labels = F.cast(F.reshape(F.add(F.mul(F.narrow(fg2d, 1, 0, 1), 0), classRow(K)), [-1]), 'int32');
  const valid = F.greater(fg, F.scalar(scoreThr));
  const keep = F.batchedNms(boxes, fg, labels, { iouThreshold: nms.iou_threshold, scoreThreshold: scoreThr, maxOutput: maxNum < 0 ? -1 : maxNum, valid });
  return { bboxes: F.gather(boxes, keep), scores: F.gather(fg, keep), labels: F.gather(labels, keep) };
}

/** [1, K] float32 0, 1, ..., K - 1. */
const classRow = (K: number): Tensor => F.constant({ dtype: 'float32', shape: [1, K], data: Float32Array.from({ length: K }, (_, k) => k) });
