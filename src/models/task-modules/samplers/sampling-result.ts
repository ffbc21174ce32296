import type { Random } from '../../../core/random';
import type { AssignResult } from '../assigners/assign-result';
import { concatBoxes, gatherBoxes, type HostGtInstances, type HostPriors } from '../host-boxes';

export interface SamplingResultInit {
  posInds: Int32Array;
  negInds: Int32Array;
  /** [N * 4] the priors the indices point into (GT boxes first when they were added). */
  priors: Float32Array;
  /** [G * 4] */
  gtBboxes: Float32Array;
  assignResult: AssignResult;
  /** [N] 1 for priors that are GT boxes added as proposals. */
  gtFlags: Uint8Array;
  /** avg_factor counts negatives too (RandomSampler) or positives only (PseudoSampler). */
  avgFactorWithNeg?: boolean;
}

/**
 * mmdetection's SamplingResult, on the host. Indices ascend (mmdetection's `unique()`);
 * `posAssignedGtInds` is 0-based; `numPos` / `numNeg` are at least 1, as mmdetection
 * defines them for `avgFactor`.
 */
export class SamplingResult {
  readonly posInds: Int32Array;
  readonly negInds: Int32Array;
  readonly posPriors: Float32Array;
  readonly negPriors: Float32Array;
  readonly posIsGt: Uint8Array;
  readonly numGts: number;
  readonly posAssignedGtInds: Int32Array;
  readonly posGtLabels: Int32Array;
  readonly posGtBboxes: Float32Array;
  readonly numPos: number;
  readonly numNeg: number;
  readonly avgFactor: number;

  constructor(init: SamplingResultInit) {
    const { posInds, negInds, priors, gtBboxes, assignResult } = init;
    this.posInds = posInds;
    this.negInds = negInds;
    this.posPriors = gatherBoxes(priors, posInds);
    this.negPriors = gatherBoxes(priors, negInds);
    this.posIsGt = Uint8Array.from(posInds, (i) => init.gtFlags[i]);
    this.numGts = gtBboxes.length / 4;
    this.posAssignedGtInds = Int32Array.from(posInds, (i) => assignResult.gtInds[i] - 1);
    this.posGtLabels = Int32Array.from(posInds, (i) => assignResult.labels[i]);
    if (this.numGts === 0 && posInds.length > 0) throw new Error('SamplingResult: positives without any GT box');
    this.posGtBboxes = gatherBoxes(gtBboxes, this.posAssignedGtInds);
    this.numPos = Math.max(posInds.length, 1);
    this.numNeg = Math.max(negInds.length, 1);
    this.avgFactor = init.avgFactorWithNeg === false ? this.numPos : this.numPos + this.numNeg;
  }

  /** The sampled priors, positives then negatives (mmdetection's `priors` property). */
  get priors(): Float32Array {
    return concatBoxes(this.posPriors, this.negPriors);
  }
}

/** Indices of `gtInds` satisfying `pred`, ascending. */
export function indicesWhere(gtInds: Int32Array, pred: (v: number) => boolean): Int32Array {
  let n = 0;
  for (const v of gtInds) if (pred(v)) n++;
  const out = new Int32Array(n);
  let k = 0;
  for (let i = 0; i < gtInds.length; i++) if (pred(gtInds[i])) out[k++] = i;
  return out;
}

/** What the heads call: RandomSampler and PseudoSampler (which draws nothing) both fit. */
export interface BBoxSampler {
  sample(assignResult: AssignResult, pred: HostPriors, gt: HostGtInstances, rng: Random): SamplingResult;
}
