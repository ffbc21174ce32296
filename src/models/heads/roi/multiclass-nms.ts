import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import { batchedNmsKeep, indexTensor, type NmsCfg } from './nms-cfg';

/** Detections of one image: boxes [M, 4], scores [M], labels [M] (int32), best first. */
export interface Detections {
  bboxes: Tensor;
  scores: Tensor;
  labels: Tensor;
}

/**
 * mmdetection's multiclass_nms: `bboxes` [R, 4K] (class-specific) or [R, 4] (shared by every
 * class), `scores` [R, K + 1] with the background last. Candidates are the (RoI, class) pairs
 * scoring > scoreThr, RoI-major; class-aware NMS (mmcv's coordinate offsets); the first
 * `maxNum` (< 0: all).
 */
export function multiclassNms(bboxes: Tensor, scores: Tensor, scoreThr: number, nms: NmsCfg, maxNum: number): Detections {
  const [R, K1] = scores.shape;
  const K = K1 - 1;
  const fg = F.toHost(F.narrow(scores, 1, 0, K)).data as Float32Array;
  const cand: number[] = [];
  for (let i = 0; i < R * K; i++) if (fg[i] > scoreThr) cand.push(i);
  const boxRows = bboxes.shape[1] === 4 ? cand.map((c) => Math.floor(c / K)) : cand;
  const allBoxes = bboxes.shape[1] === 4 ? bboxes : F.reshape(bboxes, [R * K, 4]);
  const boxes = F.gather(allBoxes, indexTensor(boxRows));
  const candScores = F.constant({ dtype: 'float32', shape: [cand.length], data: Float32Array.from(cand, (c) => fg[c]) });
  const labels = Int32Array.from(cand, (c) => c % K);
  const keep = batchedNmsKeep(boxes, candScores, indexTensor(labels), nms, maxNum);
  const k = indexTensor(keep);
  return {
    bboxes: F.gather(boxes, k),
    scores: F.gather(candScores, k),
    labels: indexTensor(Array.from(keep, (j) => labels[j])),
  };
}
