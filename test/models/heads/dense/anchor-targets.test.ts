import { expect } from 'chai';
import { hostTensor } from '../../../../src/core/host-tensor';
import * as F from '../../../../src/core/ops';
import { AssignAndSample } from '../../../../src/models/heads/assign-and-sample';
import { anchorImageTargets } from '../../../../src/models/heads/dense/anchor-targets';
import { MaxIoUAssigner } from '../../../../src/models/task-modules/assigners/max-iou-assigner';
import { DeltaXYWHBBoxCoder } from '../../../../src/models/task-modules/coders/delta-xywh-bbox-coder';
import { PseudoSampler } from '../../../../src/models/task-modules/samplers/pseudo-sampler';
import { RandomSampler } from '../../../../src/models/task-modules/samplers/random-sampler';
import { describeOnBackends, type Harness } from '../../../core/helpers/backends';

/**
 * Hand-made anchors against one GT (0, 0, 10, 11) in a 40 x 40 image, RPN thresholds 0.7 / 0.3:
 * a0 (0,0,10,10) IoU 100/110 positive; a1 (-2,0,8,10) crosses the left border; a2
 * (20,20,30,30) IoU 0 negative; a3 (0,0,10,20) IoU 110/200 between the thresholds (ignored);
 * a4 has valid flag 0 (outside the padded image).
 */
const ANCHORS = Float32Array.of(0, 0, 10, 10, -2, 0, 8, 10, 20, 20, 30, 30, 0, 0, 10, 20, 0, 0, 10, 11);
const VALID = Uint8Array.of(1, 1, 1, 1, 0);
const GT = { bboxes: Float32Array.of(0, 0, 10, 11), labels: Int32Array.of(0) };

function targets(h: Harness, allowedBorder: number, posWeight = -1, sampler: 'random' | 'pseudo' = 'random') {
  const assigner = new MaxIoUAssigner({ pos_iou_thr: 0.7, neg_iou_thr: 0.3, min_pos_iou: 0.3 });
  const s = sampler === 'random' ? new RandomSampler({ num: 256, pos_fraction: 0.5, add_gt_as_proposals: false }) : new PseudoSampler();
  const coder = new DeltaXYWHBBoxCoder();
  const encode = (p: Float32Array, g: Float32Array) => {
    const t = (b: Float32Array) => F.constant(hostTensor('float32', [b.length / 4, 4], b));
    return Float32Array.from(F.toHost(coder.encode(t(p), t(g))).data as Float32Array);
  };
  return h.run(() => anchorImageTargets(ANCHORS, VALID, [40, 40], GT, undefined, new AssignAndSample(assigner, s), { numClasses: 1, allowedBorder, posWeight, encode }));
}

describeOnBackends('anchorImageTargets (RPN targets: border, ignored and invalid anchors)', (h) => {
  it('allowed_border 0: the border-crossing anchor is outside; labels, weights and encoded deltas', () => {
    const t = targets(h, 0);
    expect(Array.from(t.assignment)).to.deep.equal([0, -3, -1, -2, -3]);
    expect(Array.from(t.labels)).to.deep.equal([0, 1, 1, 1, 1]);
    expect(Array.from(t.labelWeights)).to.deep.equal([1, 0, 1, 0, 0]);
    // a0 onto the GT: centres (5, 5) -> (5, 5.5), sizes 10 x 10 -> 10 x 11
    const d = Array.from(t.bboxTargets.subarray(0, 4));
    [0, 0.05, 0, Math.log(1.1)].forEach((v, k) => expect(d[k]).to.be.closeTo(v, 1e-6));
    expect(Array.from(t.bboxTargets.subarray(4))).to.deep.equal(new Array(16).fill(0));
    expect(Array.from(t.bboxWeights)).to.deep.equal([1, 1, 1, 1, ...new Array(16).fill(0)]);
    expect(t.avgFactor).to.equal(2); // one positive + one negative (RandomSampler)
  });

  it('allowed_border -1 keeps every valid anchor: the crossing one is assigned (IoU 80/130: ignored)', () => {
    const t = targets(h, -1);
    expect(Array.from(t.assignment)).to.deep.equal([0, -2, -1, -2, -3]);
  });

  it('pos_weight sets the label weight of positives; PseudoSampler counts positives only in avg_factor', () => {
    const t = targets(h, 0, 3, 'pseudo');
    expect(Array.from(t.labelWeights)).to.deep.equal([3, 0, 1, 0, 0]);
    expect(t.avgFactor).to.equal(1);
  });

  it('no GT: every inside anchor is a negative, nothing to regress', () => {
    const assigner = new MaxIoUAssigner({ pos_iou_thr: 0.7, neg_iou_thr: 0.3 });
    const t = h.run(() =>
      anchorImageTargets(ANCHORS, VALID, [40, 40], { bboxes: new Float32Array(0), labels: new Int32Array(0) }, undefined, new AssignAndSample(assigner, new PseudoSampler()), {
        numClasses: 1,
        allowedBorder: 0,
        posWeight: -1,
        encode: () => new Float32Array(0),
      }),
    );
    expect(Array.from(t.labelWeights)).to.deep.equal([1, 0, 1, 1, 0]);
    expect(Array.from(t.bboxWeights).every((w) => w === 0)).to.equal(true);
  });
});
