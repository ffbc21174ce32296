import { expect } from 'chai';
import '../../../../src/components';
import { ConfigError } from '../../../../src/core/errors';
import { build } from '../../../../src/registry/container';
import { HEADS } from '../../../../src/registry/registries';
import { FCOSHead, type FCOSHeadOptions } from '../../../../src/models/heads/dense/fcos-head';
import { Boxes } from '../../../../src/structures/boxes';
import { DetDataSample } from '../../../../src/structures/det-data-sample';
import { describeOnBackends, type Harness } from '../../../core/helpers/backends';

const BASE: FCOSHeadOptions & { type: string } = {
  type: 'FCOSHead',
  num_classes: 2,
  in_channels: 4,
  feat_channels: 4,
  stacked_convs: 1,
  strides: [8, 16],
  regress_ranges: [[-1, 64], [64, 1e8]],
  norm_cfg: { type: 'GN', num_groups: 2 },
  test_cfg: { nms_pre: 1, min_bbox_size: 0, score_thr: 0.3, nms: { type: 'nms', iou_threshold: 0.5 }, max_per_img: 100 },
};

function head(over: Record<string, unknown> = {}): FCOSHead {
  return build(HEADS, { ...BASE, ...over }, { path: 'model.bbox_head' }) as FCOSHead;
}

const L3 = Math.log(3);
/**
 * Hand-made raw outputs. Level 0 (stride 8, 2x2 cells, points (4,4) (12,4) (4,12) (12,12)):
 * point 0 class 0 p = 0.75, centerness 0.5, distances 2 → box (2,2,6,6); point 1 class 1
 * p = 0.5, centerness 0.5. Level 1 (stride 16, point (8,8)): class 1 p = 0.8, centerness
 * 0.75, distances (8, 8, 100, 4) → (0,0,108,12), clipped to the 100x100 image: (0,0,100,12).
 */
function outputs(h: Harness) {
  const off = -10;
  return {
    clsScores: [h.f32([1, 2, 2, 2], [L3, off, off, off, off, 0, off, off]), h.f32([1, 2, 1, 1], [off, Math.log(4)])],
    bboxPreds: [h.f32([1, 4, 2, 2], [2, 1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 1]), h.f32([1, 4, 1, 1], [8, 8, 100, 4])],
    centernesses: [h.f32([1, 1, 2, 2], [0, 0, 0, 0]), h.f32([1, 1, 1, 1], [L3])],
  };
}

function sample(): DetDataSample {
  return new DetDataSample({ img_shape: [100, 100], ori_shape: [400, 200], scale_factor: [0.5, 0.25] });
}

describeOnBackends('FCOSHead.predictByFeat on hand-made outputs', (h) => {
  it('scores are sigmoid x centerness (no sqrt), nms_pre cuts per level, boxes are clipped then rescaled by 1/scale_factor', function () {
    const [res] = h.run(() => head().predictByFeat(outputs(h), [sample()]));
    expect(Array.from(res.labels as Int32Array)).to.deep.equal([1, 0]);
    const s = res.scores as Float32Array;
    expect(s[0]).to.be.closeTo(0.8 * 0.75, 1e-6);
    expect(s[1]).to.be.closeTo(0.75 * 0.5, 1e-6);
    // (0,0,100,12) x (2, 4) and (2,2,6,6) x (2, 4)
    expect((res.bboxes as Boxes).rows()).to.deep.equal([[0, 0, 200, 48], [4, 8, 12, 24]]);
  });

  it('nms_pre -1 keeps every candidate above score_thr; rescale=false keeps the resized frame', function () {
    const cfg = { ...BASE.test_cfg, nms_pre: -1 };
    const [res] = h.run(() => head({ test_cfg: cfg }).predictByFeat(outputs(h), [sample()], false));
    expect(Array.from(res.labels as Int32Array)).to.deep.equal([1, 0, 1]);
    expect((res.scores as Float32Array)[2]).to.be.closeTo(0.25, 1e-6);
    expect((res.bboxes as Boxes).rows()).to.deep.equal([[0, 0, 100, 12], [2, 2, 6, 6], [11, 3, 13, 5]]);
  });

  it('each image of a batch uses its own img_shape and scale_factor', function () {
    const [a, b] = h.run(() => {
      const one = outputs(h);
      const two = (ts: typeof one.clsScores) => ts.map((t) => h.engine.constant({ ...h.read(t), shape: [2, ...t.shape.slice(1)], data: Float32Array.from([...(h.read(t).data as Float32Array), ...(h.read(t).data as Float32Array)]) }));
      const small = new DetDataSample({ img_shape: [5, 50], ori_shape: [5, 50], scale_factor: [1, 1] });
      return head().predictByFeat({ clsScores: two(one.clsScores), bboxPreds: two(one.bboxPreds), centernesses: two(one.centernesses) }, [sample(), small]);
    });
    expect((a.bboxes as Boxes).rows()).to.deep.equal([[0, 0, 200, 48], [4, 8, 12, 24]]);
    // clipped to 50 x 5: (0,0,50,5) and (2,2,6,5)
    expect((b.bboxes as Boxes).rows()).to.deep.equal([[0, 0, 50, 5], [2, 2, 6, 5]]);
  });

  it('score_thr is strict and max_per_img cuts after NMS', function () {
    const cfg = { ...BASE.test_cfg, nms_pre: -1, score_thr: 0.5, max_per_img: 1 };
    const [res] = h.run(() => head({ test_cfg: cfg }).predictByFeat(outputs(h), [sample()]));
    // point 1's p = 0.5 is not above 0.5; of the two left only the best survives the cut
    expect(Array.from(res.labels as Int32Array)).to.deep.equal([1]);
  });

  it('norm_on_bbox: ReLU then x stride at test time (ReLU only in training); otherwise exp', function () {
    const plain = head().eval();
    const norm = head({ norm_on_bbox: true });
    norm.loadStateDict(plain.stateDict(), { strict: true });
    const x = [h.f32([1, 4, 2, 2], Array.from({ length: 16 }, (_, i) => Math.sin(i))), h.f32([1, 4, 1, 1], [0.3, -0.2, 0.5, 1])];
    const read = (m: FCOSHead) => h.run(() => m.forward(x).bboxPreds.map((t) => h.read(t).data as Float32Array));
    const exped = read(plain);
    const tested = read(norm.eval());
    const trained = read(norm.train());
    [8, 16].forEach((stride, l) => {
      exped[l].forEach((e, i) => {
        const raw = Math.log(e);
        expect(tested[l][i]).to.be.closeTo(Math.max(raw, 0) * stride, 1e-4);
        expect(trained[l][i]).to.be.closeTo(Math.max(raw, 0), 1e-5);
      });
    });
  });
});

describe('FCOSHead options', function () {
  it('has mmdetection key names (towers, convs, per-level scales)', function () {
    const keys = [...head({ conv_bias: true }).namedState('bbox_head')].map(([k]) => k);
    expect(keys).to.include.members(['bbox_head.cls_convs.0.conv.bias', 'bbox_head.reg_convs.0.gn.weight', 'bbox_head.conv_centerness.weight', 'bbox_head.scales.1.scale']);
    expect([...head().namedState('bbox_head')].map(([k]) => k)).to.not.include('bbox_head.cls_convs.0.conv.bias'); // 'auto' with GN: no bias
  });

  it('keeps the training-only options for the loss side', function () {
    const m = head({ center_sampling: true, center_sample_radius: 2 });
    expect([m.centerSampling, m.centerSampleRadius]).to.deep.equal([true, 2]);
    expect(m.regressRanges).to.deep.equal([[-1, 64], [64, 1e8]]);
  });

  it('rejects what it cannot do, naming the config path', function () {
    expect(() => head({ dcn_on_last_conv: true })).to.throw(ConfigError, /model\.bbox_head\.dcn_on_last_conv/);
    expect(() => head({ regress_ranges: [[-1, 64]] })).to.throw(ConfigError, /model\.bbox_head\.regress_ranges: needs one/);
    expect(() => head({ loss_cls: { type: 'FocalLoss', use_sigmoid: false } })).to.throw(ConfigError, /use_sigmoid/);
    expect(() => head({ test_cfg: { ...BASE.test_cfg, nms: { type: 'soft_nms', iou_threshold: 0.5 } } })).to.throw(ConfigError, /nms/);
  });

  it('refuses the loss side with a clear error for now', function () {
    expect(() => head().lossByFeat({ clsScores: [], bboxPreds: [], centernesses: [] }, [])).to.throw(/not available yet/);
  });
});
