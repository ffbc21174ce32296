import { expect } from 'chai';
import { build } from '../../../../src/registry/container';
import { HEADS } from '../../../../src/registry/registries';
import type { ConvFCBBoxHead } from '../../../../src/models/heads/roi/convfc-bbox-head';
import { describeOnBackends } from '../../../core/helpers/backends';
import '../../../../src/components';
import { geometryOfSamples } from '../../../../src/models/heads/roi/image-metas';
import { DetDataSample } from '../../../../src/structures/det-data-sample';

const head = (extra: Record<string, unknown> = {}) =>
  build(HEADS, { type: 'Shared2FCBBoxHead', in_channels: 2, fc_out_channels: 8, roi_feat_size: 7, num_classes: 2, ...extra }, { path: 'bbox_head' }) as ConvFCBBoxHead;
const cfg = { score_thr: 0.05, nms: { type: 'nms' as const, iou_threshold: 0.5 }, max_per_img: 100 };

describe('ConvFCBBoxHead / Shared2FCBBoxHead: layers', function () {
  it('has mmdetection keys and shapes (predictors first, 4K class-specific deltas)', function () {
    const got = [...head().namedState()].map(([k, p]) => `${k} [${p.shape.join(',')}]`);
    expect(got).to.deep.equal([
      'fc_cls.weight [3,8]', 'fc_cls.bias [3]', 'fc_reg.weight [8,8]', 'fc_reg.bias [8]',
      'shared_fcs.0.weight [8,98]', 'shared_fcs.0.bias [8]', 'shared_fcs.1.weight [8,8]', 'shared_fcs.1.bias [8]',
    ]);
  });

  it('builds ConvFCBBoxHead branches (shared convs, class-agnostic regression)', function () {
    const h = build(HEADS, { type: 'ConvFCBBoxHead', num_shared_convs: 1, num_shared_fcs: 1, num_reg_fcs: 1, conv_out_channels: 4, fc_out_channels: 8, in_channels: 2, num_classes: 3, reg_class_agnostic: true }, { path: 'bbox_head' });
    const shapes = new Map([...h.namedState()].map(([k, p]) => [k, p.shape.join(',')]));
    expect(shapes.get('shared_convs.0.conv.weight')).to.equal('4,2,3,3');
    expect(shapes.get('shared_fcs.0.weight')).to.equal('8,196');
    expect(shapes.get('reg_fcs.0.weight')).to.equal('8,8');
    expect(shapes.get('fc_cls.weight')).to.equal('4,8');
    expect(shapes.get('fc_reg.weight')).to.equal('4,8');
  });

  it('refuses layer counts on Shared2FCBBoxHead', function () {
    expect(() => head({ num_shared_fcs: 3 })).to.throw(/bbox_head/);
  });
});

describeOnBackends('ConvFCBBoxHead.predictImage on hand-made RoIs', (h) => {
  // probabilities as logits log(p): softmax gives p back; background is the last column
  const probs = [
    [0.7, 0.2, 0.1],
    [0.6, 0.3, 0.1],
    [0.04, 0.9, 0.06],
    [0.5, 0.02, 0.48],
  ];
  const rois = [0, 10, 10, 50, 50, 0, 12, 12, 52, 52, 0, 100, 100, 140, 140, 0, -5, 0, 30, 30];

  function run(deltas: number[], maxPerImg = 100, rescale = true, scoreThr = 0.05) {
    return h.run(() => {
      const d = head().predictImage(
        h.f32([4, 5], rois),
        { clsScore: h.f32([4, 3], probs.flat().map(Math.log)), bboxPred: h.f32([4, 8], deltas) },
        geometryOfSamples([new DetDataSample({ img_shape: [120, 150], scale_factor: [0.5, 0.5] })])[0],
        rescale,
        { ...cfg, max_per_img: maxPerImg, score_thr: scoreThr },
      );
      return { boxes: Array.from(h.read(d.bboxes).data as Float32Array), scores: Array.from(h.read(d.scores).data as Float32Array), labels: Array.from(h.read(d.labels).data as Int32Array) };
    });
  }

  it('thresholds, runs NMS per class, orders by score and rescales to the original image', function () {
    const r = run(new Array(32).fill(0));
    // RoI 2 is clipped to y2 = 120 (img_shape h). class 0: RoI 1 (0.6) overlaps RoI 0 (0.7) with IoU 0.82 → dropped; RoI 3 (clipped to x1 = 0) stays.
    // class 1: RoI 0 (0.2) overlaps RoI 1 (0.3) → dropped. RoI 2 class 0 (0.04) and RoI 3 class 1 (0.02) are below 0.05.
    expect(r.labels).to.deep.equal([1, 0, 0, 1]);
    r.scores.forEach((s, i) => expect(s).to.be.closeTo([0.9, 0.7, 0.5, 0.3][i], 1e-6));
    expect(r.boxes).to.deep.equal([200, 200, 280, 240, 20, 20, 100, 100, 0, 0, 60, 60, 24, 24, 104, 104]);
    expect(run(new Array(32).fill(0), 3).labels).to.deep.equal([1, 0, 0]);
  });

  it('gives empty detections when nothing passes score_thr', function () {
    const r = run(new Array(32).fill(0), 100, true, 0.95);
    expect([r.boxes.length, r.scores.length, r.labels.length]).to.deep.equal([0, 0, 0]);
  });

  it("decodes each class's own deltas with stds (0.1, 0.1, 0.2, 0.2) and clips to img_shape", function () {
    const deltas = new Array(32).fill(0);
    deltas.splice(8 * 2, 8, 1, 0, 0, 0, 0, 0, Math.log(2) / 0.2, 0); // RoI 2: class 0 moves 0.1 * 40 px right, class 1 doubles its width
    deltas.splice(8 * 0, 4, 0, 0, 0, 5); // RoI 0 class 0: height 40 * exp(0.2 * 5) around y = 30, clipped at the top (0)
    const r = run(deltas, 100, false);
    const rows = new Map(r.labels.map((l, i) => [`${l}:${r.scores[i].toFixed(2)}`, r.boxes.slice(4 * i, 4 * i + 4)]));
    const near = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).to.be.closeTo(b[i], 1e-4));
    near(rows.get('1:0.90')!, [80, 100, 150, 120]); // centre 120, width 80 → [80, 160] clipped to w = 150; y2 140 clipped to h = 120
    near(rows.get('0:0.70')!, [10, 0, 50, 30 + 20 * Math.E]);
  });
});
