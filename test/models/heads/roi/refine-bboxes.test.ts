import { expect } from 'chai';
import { refineBboxes } from '../../../../src/models/heads/roi/refine-bboxes';
import { DeltaXYWHBBoxCoder } from '../../../../src/models/task-modules/coders/delta-xywh-bbox-coder';
import type { SamplingResult } from '../../../../src/models/task-modules/samplers/sampling-result';
import { DetDataSample } from '../../../../src/structures/det-data-sample';
import { describeOnBackends } from '../../../core/helpers/backends';

/** What refineBboxes reads of a SamplingResult: how many positives / negatives, which positives were GT boxes. */
const sampled = (pos: number, neg: number, posIsGt: number[]) =>
  ({ posInds: new Int32Array(pos), negInds: new Int32Array(neg), posIsGt: Uint8Array.from(posIsGt) }) as unknown as SamplingResult;

describeOnBackends('refine_bboxes (cascade training: RoIs regressed between stages, GT-derived RoIs dropped)', (h) => {
  const coder = new DeltaXYWHBBoxCoder({ target_stds: [1, 1, 1, 1] });
  const samples = [new DetDataSample({ img_shape: [20, 30] }), new DetDataSample({ img_shape: [50, 50] })];
  // image 0: a GT box added as proposal (label 0), a positive of class 1, a negative; image 1: a negative
  const rois = [0, 0, 0, 10, 10, 0, 10, 10, 20, 20, 0, 0, 0, 10, 10, 1, 5, 5, 15, 15];
  const labels = Int32Array.of(0, 1, 2, 2);
  const results = [sampled(2, 1, [1, 0]), sampled(0, 1, [])];
  // background columns last; negatives take the argmax of the foreground logits (9 on background is ignored)
  const clsScore = [5, 0, 0, 0, 7, 0, 1, 3, 9, 2, 1, 0];
  const rows = (b: Float32Array) => Array.from({ length: b.length / 4 }, (_, k) => Array.from(b.subarray(4 * k, 4 * k + 4)).map((v) => Math.round(v * 1e4) / 1e4));

  it('class-specific: the deltas of the target label, or of the foreground argmax for background RoIs; decoded, clipped to img_shape', () => {
    const bboxPred = [
      ...[0, 0, 0, 0, 0, 0, 0, 0], // the GT RoI: dropped anyway
      ...[5, 5, 5, 5, 0.1, 0, 0, 0], // class 1: x shifted by 0.1 of the width
      ...[5, 5, 5, 5, 0, 0, Math.log(2), 0], // argmax class 1: twice as wide about x = 5, clipped at 0
      ...[0, 0.5, 0, 0, 5, 5, 5, 5], // argmax class 0: y shifted by half the height
    ];
    const out = h.run(() =>
      refineBboxes({ numClasses: 2, regClassAgnostic: false, bboxCoder: coder }, results, labels, { clsScore: h.f32([4, 3], clsScore), bboxPred: h.f32([4, 8], bboxPred) }, h.f32([4, 5], rois), samples),
    );
    expect(out!.map(rows)).to.deep.equal([
      [
        [11, 10, 21, 20],
        [0, 0, 15, 10],
      ],
      [[5, 10, 15, 20]],
    ]);
  });

  it('class-agnostic: the 4 deltas of every RoI; the right edge clipped to img_shape width', () => {
    const bboxPred = [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const out = h.run(() => refineBboxes({ numClasses: 2, regClassAgnostic: true, bboxCoder: coder }, results, labels, { clsScore: h.f32([4, 3], clsScore), bboxPred: h.f32([4, 4], bboxPred) }, h.f32([4, 5], rois), samples));
    expect(out!.map(rows)).to.deep.equal([
      [
        [20, 10, 30, 20],
        [0, 0, 10, 10],
      ],
      [[5, 5, 15, 15]],
    ]);
  });

  it('no RoI in the whole batch: null (the cascade stops)', () => {
    const none = h.run(() => refineBboxes({ numClasses: 2, regClassAgnostic: true, bboxCoder: coder }, [sampled(0, 0, [])], new Int32Array(0), { clsScore: h.f32([0, 3], []), bboxPred: h.f32([0, 4], []) }, h.f32([0, 5], []), [samples[0]]));
    expect(none).to.equal(null);
  });
});
