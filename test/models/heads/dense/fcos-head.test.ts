import { expect } from 'chai';
import '../../../../src/components';
import { ConfigError } from '../../../../src/core/errors';
import { build } from '../../../../src/registry/container';
import { HEADS } from '../../../../src/registry/registries';
import { FCOSHead, type FCOSHeadOptions } from '../../../../src/models/heads/dense/fcos-head';
import { Boxes } from '../../../../src/structures/boxes';
import { DetDataSample } from '../../../../src/structures/det-data-sample';
import { describeOnBackends, type Harness } from '../../../core/helpers/backends';
import { centernessTargets, fcosImageTargets } from '../../../../src/models/heads/dense/fcos-targets';
import { InstanceData } from '../../../../src/structures/instance-data';
import type { Tensor } from '../../../../src/core/tensor';

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

});

/**
 * Targets by hand. Points: level 0 (stride 8) (4,4) (12,4) (4,12) (12,12); level 1 (stride 16)
 * (8,8). GTs: A (0,0,16,16) class 1, B (-100,-100,108,108) class 0, C (2,2,10,10) class 0.
 * Level 0 lies inside A (max distance 12 in [-1, 64]); (4,4) also inside C, the smaller one;
 * B's distances from level-0 points exceed 64. Level 1's point: 8 from A (not in [64, 1e8]),
 * 108 from B (in it).
 */
describe('fcosImageTargets (FCOS regress ranges, centre sampling, norm_on_bbox)', function () {
  const points = [Float32Array.of(4, 4, 12, 4, 4, 12, 12, 12), Float32Array.of(8, 8)];
  const gt = { bboxes: Float32Array.of(0, 0, 16, 16, -100, -100, 108, 108, 2, 2, 10, 10), labels: Int32Array.of(1, 0, 0) };
  const cfg = { numClasses: 2, strides: [8, 16], regressRanges: [[-1, 64], [64, 1e8]] as [number, number][], centerSampling: false, centerSampleRadius: 1.5, normOnBbox: true };

  it('smallest GT among those a point lies in whose largest distance is in the level range; distances / stride', function () {
    const t = fcosImageTargets(points, gt, cfg);
    expect(Array.from(t.labels)).to.deep.equal([0, 1, 1, 1, 0]);
    const want = [
      [2 / 8, 2 / 8, 6 / 8, 6 / 8], // (4,4) to C
      [12 / 8, 4 / 8, 4 / 8, 12 / 8], // (12,4) to A
      [4 / 8, 12 / 8, 12 / 8, 4 / 8],
      [12 / 8, 12 / 8, 4 / 8, 4 / 8],
      [108 / 16, 108 / 16, 100 / 16, 100 / 16], // (8,8) to B
    ];
    expect(Array.from(t.bboxTargets)).to.deep.equal(want.flat());
    expect(Array.from(fcosImageTargets(points, gt, { ...cfg, normOnBbox: false }).bboxTargets.subarray(16))).to.deep.equal([108, 108, 100, 100]);
  });

  it('centre sampling: a point must lie within radius * stride of the GT centre (strictly inside the cut box)', function () {
    // radius 0.5: level 0 squares of half-size 4: C's (2..10) keeps (4,4); A's (4..12) touches (12,4) etc. only at its edge;
    // level 1 half-size 8 around B's centre (4,4): (-4..12) keeps (8,8)
    const t = fcosImageTargets(points, gt, { ...cfg, centerSampling: true, centerSampleRadius: 0.5 });
    expect(Array.from(t.labels)).to.deep.equal([0, 2, 2, 2, 0]);
    const none = fcosImageTargets(points, gt, { ...cfg, centerSampling: true, centerSampleRadius: 0.25 });
    expect(Array.from(none.labels)).to.deep.equal([2, 2, 2, 2, 2]);
  });

  it('no GT: every point is background', function () {
    const t = fcosImageTargets(points, { bboxes: new Float32Array(0), labels: new Int32Array(0) }, cfg);
    expect(Array.from(t.labels)).to.deep.equal([2, 2, 2, 2, 2]);
  });

  it('centerness targets sqrt(min/max(l, r) * min/max(t, b))', function () {
    const c = centernessTargets(Float32Array.of(2, 2, 6, 6, 1, 3, 1, 1));
    expect(c[0]).to.be.closeTo(1 / 3, 1e-7);
    expect(c[1]).to.be.closeTo(Math.sqrt(1 / 3), 1e-7);
  });
});

describeOnBackends('FCOSHead.lossByFeat', (h) => {
  const zeros = (shape: number[]) => h.f32(shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(0));
  const out = () => ({ clsScores: [zeros([1, 2, 2, 2]), zeros([1, 2, 1, 1])], bboxPreds: [zeros([1, 4, 2, 2]), zeros([1, 4, 1, 1])], centernesses: [zeros([1, 1, 2, 2]), zeros([1, 1, 1, 1])] });
  const sample = (boxes: number[][], labels: number[]) => {
    const s = new DetDataSample({ img_shape: [16, 16], pad_shape: [16, 16] });
    s.gt_instances = new InstanceData({ bboxes: Boxes.fromRows(boxes), labels: Int32Array.from(labels) });
    return s;
  };
  const read = (l: Map<string, unknown>, k: string) => h.read(l.get(k) as Tensor).data[0] as number;

  it('an image without GT: focal loss over every point / 1, zero box and centerness losses, all finite', () => {
    const m = head();
    m.train();
    const losses = h.run(() => m.lossByFeat(out(), [sample([], [])]));
    // logits 0: p = 0.5, background target: BCE ln 2 times (1 - alpha) p^2 = 0.75 * 0.25, over 5 points x 2 classes
    expect(read(losses, 'loss_cls')).to.be.closeTo(10 * 0.1875 * Math.LN2, 1e-5);
    expect(read(losses, 'loss_bbox')).to.equal(0);
    expect(read(losses, 'loss_centerness')).to.equal(0);
  });

  it('one positive: loss_cls / 1, IoU loss weighted by its centerness target, centerness BCE', () => {
    const m = head({ norm_on_bbox: true, loss_bbox: { type: 'IoULoss', mode: 'linear' } });
    m.train();
    // GT (2, 2, 6, 6) around point (4, 4): distances 2, targets 0.25 each (centerness 1); the only positive
    const o = out();
    o.bboxPreds[0] = h.f32([1, 4, 2, 2], [0.25, 0, 0, 0, 0.25, 0, 0, 0, 0.125, 0, 0, 0, 0.125, 0, 0, 0]);
    const losses = h.run(() => m.lossByFeat(o, [sample([[2, 2, 6, 6]], [1])]));
    // positive: class 1 target 1 at p 0.5: BCE ln 2 * alpha 0.25 * 0.25; the other 9 elements background
    expect(read(losses, 'loss_cls')).to.be.closeTo(0.0625 * Math.LN2 + 9 * 0.1875 * Math.LN2, 1e-5);
    // boxes decoded from the pixel point (4, 4) and the stride-normalised distances (0.25, 0.25, 0.125, 0.125)
    // and (0.25, 0.25, 0.25, 0.25): (3.75, 3.75, 4.125, 4.125) inside (3.75, 3.75, 4.25, 4.25)
    const iou = (0.375 * 0.375) / (0.5 * 0.5);
    expect(read(losses, 'loss_bbox')).to.be.closeTo(1 - iou, 1e-5);
    // centerness logit 0 against target 1: ln 2
    expect(read(losses, 'loss_centerness')).to.be.closeTo(Math.LN2, 1e-6);
  });
});
