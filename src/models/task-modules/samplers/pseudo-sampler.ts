import { z } from 'zod';
import { TASK_UTILS } from '../../../registry/registries';
import type { AssignResult } from '../assigners/assign-result';
import type { HostGtInstances, HostPriors } from '../host-boxes';
import { indicesWhere, SamplingResult } from './sampling-result';

export const pseudoSamplerOptions = z.object({}).strict();

/**
 * mmdetection's PseudoSampler: takes every positive (gt_inds > 0) and every negative
 * (gt_inds == 0) as they are; avg_factor counts the positives only.
 */
export class PseudoSampler {
  sample(assignResult: AssignResult, pred: HostPriors, gt: HostGtInstances): SamplingResult {
    return new SamplingResult({
      posInds: indicesWhere(assignResult.gtInds, (v) => v > 0),
      negInds: indicesWhere(assignResult.gtInds, (v) => v === 0),
      priors: pred.priors,
      gtBboxes: gt.bboxes,
      assignResult,
      gtFlags: new Uint8Array(assignResult.numPriors),
      avgFactorWithNeg: false,
    });
  }
}

TASK_UTILS.register(pseudoSamplerOptions, () => new PseudoSampler(), {
  name: 'PseudoSampler',
  summary: 'takes all positives and negatives of an assignment (mmdetection PseudoSampler)',
});
