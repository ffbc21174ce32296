import { expect } from 'chai';
import type { Tensor } from '../../../../src/core/tensor';
import { CrossEntropyLoss } from '../../../../src/models/losses/cross-entropy-loss';
import { L1Loss } from '../../../../src/models/losses/l1-loss';
import { bboxHeadLoss } from '../../../../src/models/heads/roi/bbox-head-loss';
import { bboxTargets } from '../../../../src/models/heads/roi/bbox-targets';
import { AssignResult } from '../../../../src/models/task-modules/assigners/assign-result';
import { DeltaXYWHBBoxCoder } from '../../../../src/models/task-modules/coders/delta-xywh-bbox-coder';
import { SamplingResult } from '../../../../src/models/task-modules/samplers/sampling-result';
import { describeOnBackends } from '../../../core/helpers/backends';

/**
 * One image, two GTs (class 1 at (0,0,10,10), class 0 at (20,20,40,40)) and three sampled RoIs:
 * RoI 0 (0,0,10,12) positive for GT 0, RoI 1 (20,20,40,40) positive for GT 1, RoI 2 negative.
 */
function sampling(): SamplingResult {
  const priors = Float32Array.of(0, 0, 10, 12, 20, 20, 40, 40, 50, 50, 60, 60);
  const assign = new AssignResult(2, Int32Array.of(1, 2, 0), Float32Array.of(0.8, 1, 0), Int32Array.of(1, 0, -1));
  return new SamplingResult({ posInds: Int32Array.of(0, 1), negInds: Int32Array.of(2), priors, gtBboxes: Float32Array.of(0, 0, 10, 10, 20, 20, 40, 40), assignResult: assign, gtFlags: new Uint8Array(3) });
}

describeOnBackends('R-CNN box targets and losses (BBoxHead.get_targets / loss)', (h) => {
  const coder = new DeltaXYWHBBoxCoder({ target_stds: [0.1, 0.1, 0.2, 0.2] });
  const encode = (p: Float32Array, g: Float32Array) =>
    h.run(() => Float32Array.from(h.read(coder.encode(h.f32([p.length / 4, 4], p), h.f32([g.length / 4, 4], g))).data as Float32Array));

  it('positives then negatives: labels, pos_weight, deltas over the stds, weights', () => {
    const t = bboxTargets([sampling()], { numClasses: 2, posWeight: 2, encode });
    expect(Array.from(t.labels)).to.deep.equal([1, 0, 2]);
    expect(Array.from(t.labelWeights)).to.deep.equal([2, 2, 1]);
    // RoI 0 onto GT 0: centre y 6 -> 5 over height 12: -1/12 / 0.1; height 12 -> 10: log(10/12) / 0.2
    const d = Array.from(t.bboxTargets.subarray(0, 4));
    [0, -1 / 12 / 0.1, 0, Math.log(10 / 12) / 0.2].forEach((v, k) => expect(d[k]).to.be.closeTo(v, 1e-5));
    expect(Array.from(t.bboxTargets.subarray(4))).to.deep.equal(new Array(8).fill(0));
    expect(Array.from(t.bboxWeights)).to.deep.equal([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
  });

  it('loss_bbox on the GT-class columns of positives / number of RoIs; loss_cls / weighted RoIs; acc in percent', () => {
    const parts = { numClasses: 2, regClassAgnostic: false, regDecodedBbox: false, bboxCoder: coder, lossCls: new CrossEntropyLoss(), lossBbox: new L1Loss() };
    const [t0, t1] = [bboxTargets([sampling()], { numClasses: 2, posWeight: -1, encode }).bboxTargets.subarray(0, 4), [0, 0, 0, 0]];
    const { losses } = h.run(() => {
      // class 0 columns of RoI 0 are 9s (not its class); class 1 columns are 0; RoI 1 (class 0) predicts 0.5 everywhere
      const bboxPred = h.f32([3, 8], [9, 9, 9, 9, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 7, 7, 7, 7, 1, 1, 1, 1, 1, 1, 1, 1]);
      const clsScore = h.f32([3, 3], [0, 1, 0, 2, 0, 0, 0, 0, 3]); // arg-max 1, 0, 2: all right
      return bboxHeadLoss(parts, { clsScore, bboxPred }, h.f32([3, 5], new Array(15).fill(0)), [sampling()], -1);
    });
    const read = (k: string) => h.read(losses.get(k) as Tensor).data[0] as number;
    const l1 = [...t0].reduce((a, v) => a + Math.abs(0 - v), 0) + t1.reduce((a, v) => a + Math.abs(0.5 - v), 0);
    expect(read('loss_bbox')).to.be.closeTo(l1 / 3, 1e-5);
    const lse = (v: number[]) => Math.log(v.reduce((a, x) => a + Math.exp(x), 0));
    expect(read('loss_cls')).to.be.closeTo((lse([0, 1, 0]) - 1 + lse([2, 0, 0]) - 2 + lse([0, 0, 3]) - 3) / 3, 1e-5);
    expect(h.read(losses.get('acc') as Tensor).shape).to.deep.equal([1]);
    expect(read('acc')).to.be.closeTo(100, 1e-4);
  });

  it('no positive: loss_bbox is 0 (finite), loss_cls over the negatives', () => {
    const parts = { numClasses: 2, regClassAgnostic: true, regDecodedBbox: false, bboxCoder: coder, lossCls: new CrossEntropyLoss(), lossBbox: new L1Loss() };
    const neg = new SamplingResult({ posInds: new Int32Array(0), negInds: Int32Array.of(0), priors: Float32Array.of(0, 0, 5, 5), gtBboxes: new Float32Array(0), assignResult: new AssignResult(0, Int32Array.of(0), Float32Array.of(0), Int32Array.of(-1)), gtFlags: new Uint8Array(1) });
    const { losses } = h.run(() => bboxHeadLoss(parts, { clsScore: h.f32([1, 3], [0, 0, 0]), bboxPred: h.f32([1, 4], [1, 2, 3, 4]) }, h.f32([1, 5], [0, 0, 0, 5, 5]), [neg], -1));
    expect(h.read(losses.get('loss_bbox') as Tensor).data[0]).to.equal(0);
    expect(h.read(losses.get('loss_cls') as Tensor).data[0]).to.be.closeTo(Math.log(3), 1e-6);
  });
});
