import { expect } from 'chai';
import * as F from '../../../src/core/ops';
import { FLOAT32_EPS, weightReduceLoss } from '../../../src/models/losses/weight-reduce-loss';
import { describeOnBackends } from '../../core/helpers/backends';
import { expectTensor } from '../../core/helpers/expect-tensor';

describeOnBackends('weightReduceLoss (mmdetection weight_reduce_loss)', (h) => {
  const loss = () => h.f32([4], [1, 2, 3, 4]);
  const weight = () => h.f32([4], [1, 0, 1, 0.5]);
  const run = (f: () => ReturnType<typeof F.sum>) => h.read(h.run(f));

  it('weights element-wise, then reduces: mean over all elements, sum, none', () => {
    expectTensor(run(() => weightReduceLoss(loss(), weight(), 'mean')), [], [6 / 4]);
    expectTensor(run(() => weightReduceLoss(loss(), weight(), 'sum')), [], [6]);
    expectTensor(run(() => weightReduceLoss(loss(), weight(), 'none')), [4], [1, 0, 3, 2]);
    expectTensor(run(() => weightReduceLoss(loss(), null, 'mean')), [], [2.5]);
  });

  it("avg_factor with 'mean' is sum / (avg_factor + float32 eps), a number or a tensor", () => {
    expect(FLOAT32_EPS).to.equal(1.1920928955078125e-7);
    const expected = Math.fround(6 / Math.fround(3 + FLOAT32_EPS));
    expectTensor(run(() => weightReduceLoss(loss(), weight(), 'mean', 3)), [], [expected], { atol: 0, rtol: 1e-7 });
    expectTensor(run(() => weightReduceLoss(loss(), weight(), 'mean', h.f32([], [3]))), [], [expected], { atol: 0, rtol: 1e-7 });
    // no positives: 0 / eps stays 0 instead of NaN
    expectTensor(run(() => weightReduceLoss(loss(), h.f32([4], [0, 0, 0, 0]), 'mean', 0)), [], [0], { atol: 0 });
    // a tiny avg_factor really divides by avg_factor + eps
    expectTensor(run(() => weightReduceLoss(h.f32([1], [1]), null, 'mean', FLOAT32_EPS)), [], [1 / (2 * FLOAT32_EPS)], { rtol: 1e-6 });
  });

  it("avg_factor with 'none' keeps the elements; with 'sum' it is refused", () => {
    expectTensor(run(() => weightReduceLoss(loss(), weight(), 'none', 3)), [4], [1, 0, 3, 2]);
    expect(() => h.run(() => weightReduceLoss(loss(), weight(), 'sum', 3))).to.throw(/avg_factor can not be used with reduction="sum"/);
  });

  it('broadcasts a per-row weight against a [N, C] loss', () => {
    const l = h.f32([2, 2], [1, 2, 3, 4]);
    expectTensor(run(() => weightReduceLoss(l, h.f32([2, 1], [2, 0]), 'sum')), [], [6]);
  });
});
