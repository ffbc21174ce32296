/**
 * mmdetection's BBoxHead.loss_and_target: targets of the sampled RoIs (`bboxTargets`), then
 * `loss_cls` (the classification loss of every RoI, label weights from the targets, avg_factor
 * = max(number of RoIs with a positive label weight, 1)), `acc` (top-1 accuracy in percent,
 * shape [1], logged only) and `loss_bbox` (the regression loss on the positives: the deltas of
 * each RoI's GT class, or the 4 class-agnostic ones; decoded boxes with reg_decoded_bbox;
 * avg_factor = the number of sampled RoIs). With no positive `loss_bbox` is 0 with a
 * gradient path (mmdetection's bbox_pred[pos_inds].sum()).
 */
import { hostTensor } from '../../../core/host-tensor';
import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import type { LossDict } from '../../../structures/named-tensors';
import type { Loss } from '../../losses/loss';
import type { DeltaXYWHBBoxCoder } from '../../task-modules/coders/delta-xywh-bbox-coder';
import type { SamplingResult } from '../../task-modules/samplers/sampling-result';
import { bboxTargets, topOneAccuracy, type BBoxTargets } from './bbox-targets';
import type { BBoxHeadOutputs } from './convfc-bbox-head';

export interface BBoxLossParts {
  numClasses: number;
  regClassAgnostic: boolean;
  regDecodedBbox: boolean;
  bboxCoder: DeltaXYWHBBoxCoder;
  lossCls: Loss;
  lossBbox: Loss;
}

export interface BBoxLossResult {
  losses: LossDict;
  targets: BBoxTargets;
}

/** `rois` [R, 5] are the sampled RoIs of `results` in order (bbox2roi of their priors). */
export function bboxHeadLoss(head: BBoxLossParts, out: BBoxHeadOutputs, rois: Tensor, results: readonly SamplingResult[], posWeight: number): BBoxLossResult {
  const coder = head.bboxCoder;
  const encode = (priors: Float32Array, gts: Float32Array): Float32Array => {
    if (head.regDecodedBbox) return gts;
    const t = (b: Float32Array) => F.constant(hostTensor('float32', [b.length / 4, 4], b));
    return Float32Array.from(F.toHost(coder.encode(t(priors), t(gts))).data as Float32Array);
  };
  const targets = bboxTargets(results, { numClasses: head.numClasses, posWeight, encode });
  const r = targets.labels.length;
  const losses: LossDict = new Map();
  const labels = F.constant(hostTensor('int32', [r], targets.labels));
  if (r > 0) {
    let weighted = 0;
    targets.labelWeights.forEach((w) => w > 0 && weighted++);
    const weight = F.constant(hostTensor('float32', [r], targets.labelWeights));
    losses.set('loss_cls', head.lossCls.forward(out.clsScore, labels, { weight, avgFactor: Math.max(weighted, 1) }));
    const acc = topOneAccuracy(F.toHost(out.clsScore).data as Float32Array, targets.labels);
    losses.set('acc', F.constant(hostTensor('float32', [1], Float32Array.of(acc))));
  }
  losses.set('loss_bbox', regressionLoss(head, out.bboxPred, rois, targets));
  return { losses, targets };
}

function regressionLoss(head: BBoxLossParts, bboxPred: Tensor, rois: Tensor, t: BBoxTargets): Tensor {
  const pos: number[] = [];
  t.labels.forEach((l, i) => l >= 0 && l < head.numClasses && pos.push(i));
  if (pos.length === 0) return F.mul(F.sum(bboxPred), 0);
  let pred = bboxPred;
  if (head.regDecodedBbox) pred = head.bboxCoder.decode(F.narrow(rois, 1, 1, 4), pred);
  // the 4 columns of each positive's class (class-specific) or the only 4 (class-agnostic)
  const cols = head.regClassAgnostic ? 4 : 4 * head.numClasses;
  const rows = Int32Array.from(pos, (i) => (head.regClassAgnostic ? i : i * head.numClasses + t.labels[i]));
  const posPred = F.gather(F.reshape(pred, [-1, 4]), F.constant(hostTensor('int32', [rows.length], rows)));
  if (pred.shape[1] !== cols) throw new Error(`bbox head: ${pred.shape[1]} regression columns, expected ${cols}`);
  const gatherRows = (src: Float32Array) => {
    const out = new Float32Array(pos.length * 4);
    pos.forEach((i, k) => out.set(src.subarray(4 * i, 4 * i + 4), 4 * k));
    return F.constant(hostTensor('float32', [pos.length, 4], out));
  };
  return head.lossBbox.forward(posPred, gatherRows(t.bboxTargets), { weight: gatherRows(t.bboxWeights), avgFactor: t.labels.length });
}
