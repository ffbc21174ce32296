import * as F from '../../../core/ops';
import { hostTensor } from '../../../core/host-tensor';
import type { DenseTestCfg } from './dense-test-cfg';

/** Detections of one image on the host: boxes [N * 4] (x1 y1 x2 y2), scores, labels. */
export interface HostDetections {
  bboxes: Float32Array;
  scores: Float32Array;
  labels: Int32Array;
}

/**
 * mmdetection's BaseDenseHead._bbox_post_process for one image, in its order: boxes scaled
 * back to the original image by float32(1 / scale_factor) (scale_factor is (w, h)) when
 * `scaleFactor` is given; scores multiplied by the score factors (FCOS's centerness); boxes
 * whose width or height is not above `min_bbox_size` dropped (when it is >= 0); class-aware
 * NMS (mmcv batched_nms) and the first `max_per_img` in descending score order.
 */
export function bboxPostProcess(
  dets: HostDetections,
  cfg: DenseTestCfg,
  opts: { scaleFactor?: readonly [number, number]; scoreFactors?: Float32Array } = {},
): HostDetections {
  let { bboxes, scores } = dets;
  if (opts.scaleFactor) bboxes = rescale(bboxes, opts.scaleFactor);
  if (opts.scoreFactors) scores = scores.map((s, i) => Math.fround(s * opts.scoreFactors![i]));
  let kept = { bboxes, scores, labels: dets.labels };
  if (cfg.min_bbox_size >= 0) kept = select(kept, validBoxes(bboxes, cfg.min_bbox_size));
  if (kept.scores.length === 0) return kept;
  const order = classAwareNms(kept, cfg.nms.iou_threshold);
  return select(kept, order.slice(0, cfg.max_per_img));
}

function rescale(bboxes: Float32Array, [ws, hs]: readonly [number, number]): Float32Array {
  const inv = [Math.fround(1 / ws), Math.fround(1 / hs)];
  return bboxes.map((v, i) => Math.fround(v * inv[i % 2]));
}

function validBoxes(b: Float32Array, minBboxSize: number): number[] {
  const minSize = Math.fround(minBboxSize);
  const keep: number[] = [];
  for (let i = 0; i < b.length / 4; i++) {
    const w = Math.fround(b[4 * i + 2] - b[4 * i]);
    const h = Math.fround(b[4 * i + 3] - b[4 * i + 1]);
    if (w > minSize && h > minSize) keep.push(i);
  }
  return keep;
}

/** Indices kept by mmcv's batched_nms with the labels as classes, in descending score order. */
function classAwareNms(d: HostDetections, iouThreshold: number): number[] {
  const n = d.scores.length;
  const keep = F.batchedNms(
    F.constant(hostTensor('float32', [n, 4], d.bboxes)),
    F.constant(hostTensor('float32', [n], d.scores)),
    F.constant(hostTensor('int32', [n], d.labels)),
    { iouThreshold },
  );
  return Array.from(F.toHost(keep).data as ArrayLike<number>);
}

export function select(d: HostDetections, idx: readonly number[]): HostDetections {
  const bboxes = new Float32Array(idx.length * 4);
  idx.forEach((i, j) => bboxes.set(d.bboxes.subarray(4 * i, 4 * i + 4), 4 * j));
  return { bboxes, scores: Float32Array.from(idx, (i) => d.scores[i]), labels: Int32Array.from(idx, (i) => d.labels[i]) };
}
