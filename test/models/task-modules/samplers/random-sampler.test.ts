import { expect } from 'chai';
import { Random } from '../../../../src/core/random';
import { AssignResult } from '../../../../src/models/task-modules/assigners/assign-result';
import { RandomSampler } from '../../../../src/models/task-modules/samplers/random-sampler';
import type { SamplingResult } from '../../../../src/models/task-modules/samplers/sampling-result';
import { buildTaskUtil, errorOf } from '../helpers';

/** An assignment of n priors: the first `pos` positive (GT k % numGts), then `neg` negatives, the rest ignored. */
function assignment(n: number, pos: number, neg: number, numGts = 3): AssignResult {
  const gtInds = new Int32Array(n).fill(-1);
  const labels = new Int32Array(n).fill(-1);
  for (let j = 0; j < pos; j++) [gtInds[j], labels[j]] = [(j % numGts) + 1, 10 + (j % numGts)];
  gtInds.fill(0, pos, pos + neg);
  return new AssignResult(numGts, gtInds, new Float32Array(n), labels);
}

const priorsOf = (n: number) => Float32Array.from({ length: 4 * n }, (_, i) => Math.floor(i / 4) + (i % 4) * 0.25);
const gt = { bboxes: Float32Array.from([0, 0, 5, 5, 1, 1, 6, 6, 2, 2, 7, 7]), labels: Int32Array.of(10, 11, 12) };

function isAscendingUnique(a: Int32Array): boolean {
  return a.every((v, i) => i === 0 || v > a[i - 1]);
}

describe('RandomSampler', () => {
  const sample = (o: ConstructorParameters<typeof RandomSampler>[0], a: AssignResult, seed = 0): SamplingResult =>
    new RandomSampler(o).sample(a, { priors: priorsOf(a.numPriors) }, gt, new Random(seed));

  it('takes int(num * pos_fraction) positives and fills num with negatives, ascending and from the right sets', () => {
    const a = assignment(7000, 1000, 5000);
    const r = sample({ num: 512, pos_fraction: 0.25, add_gt_as_proposals: false }, a);
    expect([r.posInds.length, r.negInds.length]).to.deep.equal([128, 384]);
    expect(isAscendingUnique(r.posInds) && isAscendingUnique(r.negInds)).to.equal(true);
    expect(r.posInds.every((i) => a.gtInds[i] > 0)).to.equal(true);
    expect(r.negInds.every((i) => a.gtInds[i] === 0)).to.equal(true);
    expect([r.numPos, r.numNeg, r.avgFactor]).to.deep.equal([128, 384, 512]);
    // the fields follow the indices
    const k = 5;
    const j = r.posInds[k];
    expect(Array.from(r.posPriors.subarray(4 * k, 4 * k + 4))).to.deep.equal(Array.from(priorsOf(7000).subarray(4 * j, 4 * j + 4)));
    expect(r.posAssignedGtInds[k]).to.equal(a.gtInds[j] - 1);
    expect(r.posGtLabels[k]).to.equal(a.labels[j]);
    expect(Array.from(r.posGtBboxes.subarray(4 * k, 4 * k + 4))).to.deep.equal(Array.from(gt.bboxes.subarray(4 * r.posAssignedGtInds[k], 4 * r.posAssignedGtInds[k] + 4)));
    expect(r.priors.length).to.equal(512 * 4);
  });

  it('few positives: all of them, negatives fill up; neg_pos_ub caps negatives (at least one positive counted)', () => {
    const few = sample({ num: 512, pos_fraction: 0.25, add_gt_as_proposals: false }, assignment(6000, 10, 5000));
    expect([few.posInds.length, few.negInds.length]).to.deep.equal([10, 502]);
    expect(Array.from(few.posInds)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const ub = sample({ num: 512, pos_fraction: 0.25, neg_pos_ub: 3, add_gt_as_proposals: false }, assignment(6000, 10, 5000));
    expect(ub.negInds.length).to.equal(30);
    const none = sample({ num: 512, pos_fraction: 0.25, neg_pos_ub: 3, add_gt_as_proposals: false }, assignment(6000, 0, 5000));
    expect([none.posInds.length, none.negInds.length, none.numPos, none.avgFactor]).to.deep.equal([0, 3, 1, 4]);
    expect(none.posGtBboxes.length).to.equal(0);
  });

  it('draws each candidate with equal probability', () => {
    const a = assignment(40, 0, 40);
    const counts = new Array(40).fill(0);
    const sampler = new RandomSampler({ num: 10, pos_fraction: 0.5, add_gt_as_proposals: false });
    const rng = new Random(123);
    const trials = 2000;
    for (let t = 0; t < trials; t++) for (const i of sampler.sample(a, { priors: priorsOf(40) }, gt, rng).negInds) counts[i]++;
    // each is drawn with probability 10/40: mean 500, sd ~19; 6 sd either way
    expect(Math.min(...counts)).to.be.greaterThan(500 - 115);
    expect(Math.max(...counts)).to.be.lessThan(500 + 115);
  });

  it('add_gt_as_proposals prepends the GT boxes, assigned to themselves and flagged', () => {
    const a = assignment(100, 4, 50);
    const r = sample({ num: 512, pos_fraction: 0.25 }, a);
    expect(Array.from(r.posInds)).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(r.posIsGt)).to.deep.equal([1, 1, 1, 0, 0, 0, 0]);
    expect(Array.from(r.posAssignedGtInds)).to.deep.equal([0, 1, 2, 0, 1, 2, 0]);
    expect(Array.from(r.posGtLabels)).to.deep.equal([10, 11, 12, 10, 11, 12, 10]);
    expect(Array.from(r.posPriors.subarray(0, 12))).to.deep.equal(Array.from(gt.bboxes));
    expect(r.negInds[0]).to.equal(3 + 4); // indices count the prepended GTs
    expect(r.numGts).to.equal(3);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const a = assignment(3000, 400, 2000);
    const o = { num: 256, pos_fraction: 0.5 };
    const [x, y, z] = [sample(o, a, 7), sample(o, a, 7), sample(o, a, 8)];
    expect(Array.from(x.posInds)).to.deep.equal(Array.from(y.posInds));
    expect(Array.from(x.negInds)).to.deep.equal(Array.from(y.negInds));
    expect(Array.from(x.negInds)).to.not.deep.equal(Array.from(z.negInds));
  });

  it("builds from mmdetection's config; rejects unknown options", () => {
    const s = buildTaskUtil<RandomSampler>({ type: 'RandomSampler', num: 256, pos_fraction: 0.5, neg_pos_ub: -1, add_gt_as_proposals: false });
    expect([s.num, s.posFraction, s.negPosUb, s.addGtAsProposals]).to.deep.equal([256, 0.5, -1, false]);
    expect(errorOf(() => buildTaskUtil({ type: 'RandomSampler', num: 256, pos_fraction: 1.5 }, 's')).message).to.match(/^s\.pos_fraction: /);
    expect(errorOf(() => buildTaskUtil({ type: 'RandomSampler', num: 256, pos_fraction: 0.5, floor_thr: 1 }, 's')).message).to.equal("s: RandomSampler has no option 'floor_thr'");
  });
});
