import { expect } from 'chai';
import { AssignResult } from '../../../../src/models/task-modules/assigners/assign-result';
import { PseudoSampler } from '../../../../src/models/task-modules/samplers/pseudo-sampler';
import { boxes, buildTaskUtil } from '../helpers';

describe('PseudoSampler', () => {
  it('takes every positive and negative, skips ignored priors; avg_factor counts positives', () => {
    const a = new AssignResult(2, Int32Array.of(0, 2, -1, 1, 0, 2), new Float32Array(6), Int32Array.of(-1, 5, -1, 4, -1, 5));
    const priors = boxes([[0, 0, 1, 1], [1, 1, 2, 2], [2, 2, 3, 3], [3, 3, 4, 4], [4, 4, 5, 5], [5, 5, 6, 6]]);
    const gt = { bboxes: boxes([[0, 0, 9, 9], [1, 1, 8, 8]]), labels: Int32Array.of(4, 5) };
    const s = buildTaskUtil<PseudoSampler>({ type: 'PseudoSampler' });
    const r = s.sample(a, { priors }, gt);
    expect(Array.from(r.posInds)).to.deep.equal([1, 3, 5]);
    expect(Array.from(r.negInds)).to.deep.equal([0, 4]);
    expect(Array.from(r.posAssignedGtInds)).to.deep.equal([1, 0, 1]);
    expect(Array.from(r.posGtLabels)).to.deep.equal([5, 4, 5]);
    expect(Array.from(r.posIsGt)).to.deep.equal([0, 0, 0]);
    expect(Array.from(r.posGtBboxes)).to.deep.equal([1, 1, 8, 8, 0, 0, 9, 9, 1, 1, 8, 8]);
    expect(Array.from(r.negPriors)).to.deep.equal([0, 0, 1, 1, 4, 4, 5, 5]);
    expect(r.avgFactor).to.equal(3);
  });

  it('no GT: all negatives, no positive boxes', () => {
    const a = new AssignResult(0, Int32Array.of(0, 0), new Float32Array(2), Int32Array.of(-1, -1));
    const r = new PseudoSampler().sample(a, { priors: boxes([[0, 0, 1, 1], [1, 1, 2, 2]]) }, { bboxes: new Float32Array(0), labels: new Int32Array(0) });
    expect([r.posInds.length, r.negInds.length, r.posGtBboxes.length, r.avgFactor]).to.deep.equal([0, 2, 0, 1]);
  });
});
