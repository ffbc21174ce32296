import { z } from 'zod';
import type { Random } from '../../../core/random';
import { TASK_UTILS } from '../../../registry/registries';
import type { AssignResult } from '../assigners/assign-result';
import { concatBoxes, type HostGtInstances, type HostPriors } from '../host-boxes';
import { indicesWhere, SamplingResult } from './sampling-result';

export const randomSamplerOptions = z
  .object({
    num: z.number().int().nonnegative(),
    pos_fraction: z.number().min(0).max(1),
    neg_pos_ub: z.number().default(-1),
    add_gt_as_proposals: z.boolean().default(true),
  })
  .strict();
export type RandomSamplerOptions = z.input<typeof randomSamplerOptions>;

/**
 * mmdetection's RandomSampler: up to int(num * pos_fraction) positives and num minus the
 * positives taken negatives (at most neg_pos_ub times the positives when neg_pos_ub >= 0),
 * each drawn uniformly without replacement when there are more candidates than places. With
 * `add_gt_as_proposals` the GT boxes are prepended to the priors, assigned to themselves.
 * Draws come from the generator the caller passes (the trainer's seeded one).
 */
export class RandomSampler {
  readonly num: number;
  readonly posFraction: number;
  readonly negPosUb: number;
  readonly addGtAsProposals: boolean;

  constructor(options: RandomSamplerOptions) {
    const o = randomSamplerOptions.parse(options);
    this.num = o.num;
    this.posFraction = o.pos_fraction;
    this.negPosUb = o.neg_pos_ub;
    this.addGtAsProposals = o.add_gt_as_proposals;
  }

  sample(assignResult: AssignResult, pred: HostPriors, gt: HostGtInstances, rng: Random): SamplingResult {
    let priors = pred.priors;
    let assign = assignResult;
    let gtFlags = new Uint8Array(assign.numPriors);
    const numGts = gt.labels.length;
    if (this.addGtAsProposals && numGts > 0) {
      priors = concatBoxes(gt.bboxes, priors);
      assign = assign.withGtAsProposals(gt.labels);
      gtFlags = new Uint8Array(assign.numPriors).fill(1, 0, numGts);
    }
    const posInds = choose(indicesWhere(assign.gtInds, (v) => v > 0), Math.trunc(this.num * this.posFraction), rng);
    let numNeg = this.num - posInds.length;
    if (this.negPosUb >= 0) numNeg = Math.min(numNeg, Math.trunc(this.negPosUb * Math.max(1, posInds.length)));
    const negInds = choose(indicesWhere(assign.gtInds, (v) => v === 0), numNeg, rng);
    return new SamplingResult({ posInds, negInds, priors, gtBboxes: gt.bboxes, assignResult: assign, gtFlags });
  }
}

/** All of `gallery` when it fits, else `num` of it drawn at random; ascending either way. */
function choose(gallery: Int32Array, num: number, rng: Random): Int32Array {
  if (gallery.length <= num) return gallery;
  return rng.choose(gallery, num).sort();
}

TASK_UTILS.register(randomSamplerOptions, (o: RandomSamplerOptions) => new RandomSampler(o), {
  name: 'RandomSampler',
  summary: 'samples positives and negatives of an assignment uniformly at random (mmdetection RandomSampler)',
});
