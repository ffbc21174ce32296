/**
 * Element-wise (unreduced) classification terms the losses share, in PyTorch's definitions:
 * `F.cross_entropy(..., reduction='none')`, `F.binary_cross_entropy_with_logits` and one-hot
 * labels. Labels are integer tensors; a label outside [0, C) gets an all-zero one-hot row.
 */
import { hostTensor } from '../../core/host-tensor';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';

/** [C] with 0..C-1, shaped to broadcast along `axis` of a rank-`rank` tensor. */
function classIndex(numClasses: number, axis: number, rank: number): Tensor {
  const shape = Array.from({ length: rank }, (_, i) => (i === axis ? numClasses : 1));
  return F.constant(hostTensor('int32', shape, Int32Array.from({ length: numClasses }, (_, i) => i)));
}

/**
 * float32 one-hot of `labels` inserted as a new axis `axis` of size `numClasses`
 * (labels [N] → [N, C]; labels [N, H, W] with axis 1 → [N, C, H, W]).
 */
export function oneHot(labels: Tensor, numClasses: number, axis = 1): Tensor {
  const shape = [...labels.shape.slice(0, axis), 1, ...labels.shape.slice(axis)];
  const expanded = F.reshape(F.cast(labels, 'int32'), shape);
  return F.cast(F.equal(expanded, classIndex(numClasses, axis, shape.length)), 'float32');
}

/** 1 where `labels` != `ignoreIndex`, else 0 (float32); float (soft) labels are compared as they are. */
export function notIgnored(labels: Tensor, ignoreIndex: number): Tensor {
  return F.sub(1, F.cast(F.equal(labels, ignoreIndex), 'float32'));
}

/** Values along axis 1 per position as a constant broadcastable against a rank-`rank` tensor. */
export function perClass(values: readonly number[], rank: number): Tensor {
  const shape = Array.from({ length: rank }, (_, i) => (i === 1 ? values.length : 1));
  return F.constant(hostTensor('float32', shape, Float32Array.from(values)));
}

/**
 * F.cross_entropy(pred, labels, weight=classWeight, ignore_index, reduction='none'):
 * pred [N, C, ...] logits, labels [N, ...] → -classWeight[y] * log_softmax(pred)[y], 0 where ignored.
 */
export function softmaxCrossEntropy(pred: Tensor, labels: Tensor, classWeight: readonly number[] | null, ignoreIndex: number): Tensor {
  const c = pred.shape[1];
  const hot = oneHot(labels, c, 1);
  const picked = F.sum(F.mul(F.logSoftmax(pred, 1), hot), 1);
  let loss = F.mul(F.neg(picked), notIgnored(labels, ignoreIndex));
  if (classWeight) loss = F.mul(loss, F.sum(F.mul(hot, perClass(classWeight, pred.shape.length)), 1));
  return loss;
}

/**
 * F.binary_cross_entropy_with_logits(pred, target, pos_weight, reduction='none'):
 * posWeight·t·softplus(-x) + (1 - t)·softplus(x), which is softplus(x) - t·x without posWeight.
 */
export function bceWithLogits(pred: Tensor, target: Tensor, posWeight: Tensor | null = null): Tensor {
  if (!posWeight) return F.sub(F.softplus(pred), F.mul(target, pred));
  const positive = F.mul(F.mul(posWeight, target), F.softplus(F.neg(pred)));
  return F.add(positive, F.mul(F.sub(1, target), F.softplus(pred)));
}

/** F.binary_cross_entropy on probabilities (log clamped at -100, as PyTorch). */
export function bceOnProbabilities(prob: Tensor, target: Tensor): Tensor {
  const logP = F.maximum(F.log(prob), -100);
  const log1mP = F.maximum(F.log(F.sub(1, prob)), -100);
  return F.neg(F.add(F.mul(target, logP), F.mul(F.sub(1, target), log1mP)));
}
