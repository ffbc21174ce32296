/**
 * mmdetection's AnchorHead._get_targets_single on the host: the anchors inside the image
 * (`anchor_inside_flags` with `allowed_border`) are assigned and sampled; positives get their
 * GT's label, label weight `pos_weight` (<= 0: 1) and regression targets with weight 1,
 * sampled negatives the background label with weight 1; everything else (ignored, not
 * sampled, outside) weighs 0 and keeps the background label (mmdetection's unmap).
 */
import { UserError } from '../../../core/errors';
import type { HostGtInstances, HostIgnoreInstances } from '../../task-modules/host-boxes';
import { gatherBoxes } from '../../task-modules/host-boxes';
import { anchorInsideFlags } from '../../task-modules/prior-generators/anchor-inside-flags';
import type { AssignAndSample } from '../assign-and-sample';

export interface AnchorTargetOptions {
  /** Background label (num_classes). */
  numClasses: number;
  allowedBorder: number;
  posWeight: number;
  /** Regression targets of the positives [P * 4] from their anchors and GT boxes [P * 4]. */
  encode: (priors: Float32Array, gts: Float32Array) => Float32Array;
}

export interface AnchorImageTargets {
  /** [A] per anchor of all levels (mmdetection's flat order). */
  labels: Int32Array;
  labelWeights: Float32Array;
  /** [A * 4] */
  bboxTargets: Float32Array;
  bboxWeights: Float32Array;
  /** SamplingResult.avg_factor: positives + negatives (each at least 1) for sampling samplers, positives for PseudoSampler. */
  avgFactor: number;
  /** Per anchor as the det_train fixtures store it: GT index (positive), -1 negative, -2 ignored or not sampled, -3 outside. */
  assignment: Int32Array;
}

export function anchorImageTargets(
  anchors: Float32Array,
  validFlags: Uint8Array,
  imgShape: readonly number[],
  gt: HostGtInstances,
  ignore: HostIgnoreInstances | undefined,
  parts: AssignAndSample,
  o: AnchorTargetOptions,
): AnchorImageTargets {
  const inside = anchorInsideFlags(anchors, validFlags, imgShape, o.allowedBorder);
  const insideInds: number[] = [];
  inside.forEach((v, j) => v && insideInds.push(j));
  if (insideInds.length === 0) {
    throw new UserError('no anchor lies inside the image: check img_shape / pad_shape and allowed_border (mmdetection raises here too)');
  }
  const idx = Int32Array.from(insideInds);
  const { sampling } = parts.run(gatherBoxes(anchors, idx), gt, ignore);
  const n = anchors.length / 4;
  const t: AnchorImageTargets = {
    labels: new Int32Array(n).fill(o.numClasses),
    labelWeights: new Float32Array(n),
    bboxTargets: new Float32Array(n * 4),
    bboxWeights: new Float32Array(n * 4),
    avgFactor: sampling.avgFactor,
    assignment: new Int32Array(n).fill(-3),
  };
  idx.forEach((j) => (t.assignment[j] = -2));
  const deltas = sampling.posInds.length > 0 ? o.encode(sampling.posPriors, sampling.posGtBboxes) : new Float32Array(0);
  sampling.posInds.forEach((k, p) => {
    const j = idx[k];
    t.labels[j] = sampling.posGtLabels[p];
    t.labelWeights[j] = o.posWeight <= 0 ? 1 : o.posWeight;
    t.bboxTargets.set(deltas.subarray(4 * p, 4 * p + 4), 4 * j);
    t.bboxWeights.fill(1, 4 * j, 4 * j + 4);
    t.assignment[j] = sampling.posAssignedGtInds[p];
  });
  sampling.negInds.forEach((k) => {
    t.labelWeights[idx[k]] = 1;
    t.assignment[idx[k]] = -1;
  });
  return t;
}
