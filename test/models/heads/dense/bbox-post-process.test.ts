import { expect } from 'chai';
import { bboxPostProcess } from '../../../../src/models/heads/dense/bbox-post-process';
import { denseTestCfgSchema } from '../../../../src/models/heads/dense/dense-test-cfg';
import { filterScoresAndTopk } from '../../../../src/models/heads/dense/filter-scores-and-topk';
import { describeOnBackends } from '../../../core/helpers/backends';

describe('filterScoresAndTopk', function () {
  it('keeps (row, class) pairs strictly above the threshold, best first, the first k', function () {
    // 3 rows x 2 classes
    const scores = Float32Array.of(0.2, 0.9, 0.5, 0.05, 0.7, 0.5);
    const all = filterScoresAndTopk(scores, 2, 0.2, -1);
    expect(Array.from(all.scores)).to.deep.equal(Array.from(Float32Array.of(0.9, 0.7, 0.5, 0.5)));
    expect(Array.from(all.rows)).to.deep.equal([0, 2, 1, 2]);
    expect(Array.from(all.labels)).to.deep.equal([1, 0, 0, 1]);
    const top2 = filterScoresAndTopk(scores, 2, 0.2, 2);
    expect(Array.from(top2.rows)).to.deep.equal([0, 2]);
    expect(filterScoresAndTopk(scores, 2, 0.9, 5).scores.length).to.equal(0);
  });
});

describeOnBackends('bboxPostProcess', (h) => {
  const cfg = denseTestCfgSchema.parse({ min_bbox_size: 0, nms: { type: 'nms', iou_threshold: 0.5 }, max_per_img: 10 });
  // A and B overlap (IoU 0.81) in class 0; C is B's box in class 1; D has zero width
  const dets = {
    bboxes: Float32Array.of(0, 0, 10, 10, 1, 1, 10, 10, 1, 1, 10, 10, 5, 5, 5, 9),
    scores: Float32Array.of(0.9, 0.8, 0.7, 0.95),
    labels: Int32Array.of(0, 0, 1, 0),
  };

  it('drops empty boxes, runs class-aware NMS, orders by score', function () {
    const out = h.run(() => bboxPostProcess(dets, cfg));
    expect(Array.from(out.labels)).to.deep.equal([0, 1]);
    expect(Array.from(out.scores)).to.deep.equal(Array.from(Float32Array.of(0.9, 0.7)));
    expect(Array.from(out.bboxes)).to.deep.equal([0, 0, 10, 10, 1, 1, 10, 10]);
  });

  it('rescales by 1 / scale_factor (w, h) before scoring with the score factors', function () {
    const out = h.run(() => bboxPostProcess(dets, { ...cfg, max_per_img: 1 }, { scaleFactor: [0.5, 0.25], scoreFactors: Float32Array.of(0.5, 1, 1, 1) }));
    // A's score falls to 0.45, so B (0.8) wins class 0 and suppresses A; the cut keeps B
    expect(Array.from(out.bboxes)).to.deep.equal([2, 4, 20, 40]);
    expect(Array.from(out.scores)).to.deep.equal([Math.fround(0.8)]);
  });

  it('min_bbox_size < 0 keeps empty boxes', function () {
    const out = h.run(() => bboxPostProcess(dets, { ...cfg, min_bbox_size: -1 }));
    expect(Array.from(out.scores)).to.deep.equal(Array.from(Float32Array.of(0.95, 0.9, 0.7)));
  });
});
