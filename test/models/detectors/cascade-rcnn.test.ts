import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel } from '../../../src/apis/build-model';
import type { HostTensor } from '../../../src/core/host-tensor';
import { activeBackend, initBackend } from '../../../src/engines/tfjs/backend';
import { CascadeRCNN } from '../../../src/models/detectors/cascade-rcnn';
import { CascadeRoIHead } from '../../../src/models/heads/roi/cascade-roi-head';
import { DetDataSample } from '../../../src/structures/det-data-sample';
import { Harness } from '../../core/helpers/backends';
import { expectNear } from '../../fixtures/hrnet/helpers';
import { expectBoxes, firstRows, fixtureKeys, labelsOf, loadDetFixture, type DetFixture } from './det-fixture';
import '../../../src/components';

describe('CascadeRCNN: mmdetection fixture cascade_rcnn_tiny (HRNet + HRFPN, 3 stages, tfjs wasm)', function () {
  this.timeout(60000);
  const h = new Harness();
  let fx: DetFixture;
  let model: CascadeRCNN;
  let io: Map<string, HostTensor>;
  let out: Map<string, HostTensor>;
  let previous: string | undefined;

  before(async function () {
    previous = activeBackend()?.name;
    await initBackend('wasm');
    fx = await loadDetFixture('cascade_rcnn_tiny');
    expect(fx.model).to.be.instanceOf(CascadeRCNN);
    model = fx.model as CascadeRCNN;
    io = fx.io;
    tf.engine().startScope();
    out = h.run(() => new Map([...model.forwardTensor(new Map([['input', h.engine.constant(io.get('input')!)]]), fx.samples())].map(([k, v]) => [k, h.read(v)])));
    tf.engine().endScope();
  });
  after(async () => {
    if (previous && previous !== 'wasm') await initBackend(previous);
  });
  beforeEach(() => tf.engine().startScope());
  afterEach(() => tf.engine().endScope());

  it('has exactly the checkpoint entries under mmdetection key names (roi_head.bbox_head.{0,1,2})', function () {
    const got = [...model.namedState()].map(([k, p]) => `${k} ${p.dtype} [${p.shape.join(', ')}]`);
    expect(got).to.deep.equal(fixtureKeys(fx.dir));
    const roi = model.roiHead as CascadeRoIHead;
    expect(roi.numStages).to.equal(3);
    expect(roi.stageLossWeights).to.deep.equal([1, 0.5, 0.25]);
    expect([...roi.bboxHead].map((b) => b.bboxCoder.stds.map((s) => Math.fround(s)))).to.deep.equal(
      [[0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067]].map((r) => r.map(Math.fround)),
    );
  });

  it('reproduces the neck, the RPN and the proposals', function () {
    for (let l = 0; l < 5; l++) {
      expectNear(out.get(`neck.${l}`)!, io.get(`neck.${l}`)!, `neck.${l}`);
      expectNear(out.get(`rpn_cls.${l}`)!, io.get(`rpn_cls.${l}`)!, `rpn_cls.${l}`);
      expectNear(out.get(`rpn_reg.${l}`)!, io.get(`rpn_reg.${l}`)!, `rpn_reg.${l}`);
    }
    expectBoxes(out.get('proposals')!, io.get('proposals')!, 'proposals');
    expectNear(firstRows(out.get('roi_feats')!, 8), io.get('roi_feats')!, 'roi_feats');
  });

  it('reproduces every stage: input RoIs (refined between stages), logits, class-agnostic deltas', function () {
    for (const s of [0, 1, 2]) {
      expectBoxes(out.get(`rois.${s}`)!, io.get(`rois.${s}`)!, `rois.${s}`, false);
      expectNear(out.get(`rcnn_cls_score.${s}`)!, io.get(`rcnn_cls_score.${s}`)!, `rcnn_cls_score.${s}`);
      expectNear(out.get(`rcnn_bbox_pred.${s}`)!, io.get(`rcnn_bbox_pred.${s}`)!, `rcnn_bbox_pred.${s}`);
    }
    expectNear(out.get('rcnn_cls_score_mean')!, io.get('rcnn_cls_score_mean')!, 'rcnn_cls_score_mean');
  });

  it('reproduces the final detections: boxes, scores, labels in original-image pixels', function () {
    expectBoxes(out.get('dets')!, io.get('dets')!, 'dets');
    expect(Array.from(out.get('labels')!.data as Int32Array)).to.deep.equal(labelsOf(io.get('labels')!));
    expect([...out.keys()]).to.deep.equal(model.outputNames());
  });

  it('predict writes the same detections into pred_instances', function () {
    const [s] = h.run(() => model.forward(h.engine.constant(io.get('input')!), fx.samples(), 'predict'));
    const p = s.pred_instances!;
    const boxes = (p.bboxes as { data: Float32Array }).data;
    const rows = new Float32Array(p.length * 5);
    for (let i = 0; i < p.length; i++) rows.set([...boxes.subarray(4 * i, 4 * i + 4), (p.scores as Float32Array)[i]], 5 * i);
    expectBoxes({ dtype: 'float32', shape: [p.length, 5], data: rows }, io.get('dets')!, 'pred_instances');
    expect(Array.from(p.labels as Int32Array)).to.deep.equal(labelsOf(io.get('labels')!));
    expect(p.masks).to.equal(undefined);
  });

  it('a batch of two images refines each image on its own and concatenates the RoIs', function () {
    const one = io.get('input')!;
    const both: HostTensor = { dtype: 'float32', shape: [2, ...one.shape.slice(1)], data: Float32Array.from([...(one.data as Float32Array), ...(one.data as Float32Array)]) };
    const samples = [...fx.samples(), ...fx.samples()];
    const got = h.run(() => new Map([...model.forwardTensor(new Map([['input', h.engine.constant(both)]]), samples)].map(([k, v]) => [k, h.read(v)])));
    const P = io.get('proposals')!.shape[0];
    expect(got.get('rois.2')!.shape).to.deep.equal([2 * P, 5]);
    const second = got.get('rois.2')!.data as Float32Array;
    expect(second[5 * P]).to.equal(1);
    for (const i of [0, 1]) expectBoxes(got.get(`dets.${i}`)!, io.get('dets')!, `dets.${i}`);
    expect([...got.keys()]).to.deep.equal(model.outputNames(2));
  });

  it('rejects a per-stage list whose length is not num_stages, by config path', async function () {
    const cfg = structuredClone(fx.cfg.model) as { roi_head: { bbox_head: unknown[] } };
    cfg.roi_head.bbox_head = cfg.roi_head.bbox_head.slice(0, 2);
    let err: Error | undefined;
    await buildModel({ model: cfg }, { initWeights: false }).catch((e: Error) => (err = e));
    expect(err?.message).to.match(/roi_head\.bbox_head: 2 configs for 3 stages/);
  });

  it('rejects a stage box head whose in_channels disagree with its extractor', async function () {
    const cfg = structuredClone(fx.cfg.model) as { roi_head: { bbox_head: { in_channels: number }[] } };
    cfg.roi_head.bbox_head[1].in_channels = 16;
    let err: Error | undefined;
    await buildModel({ model: cfg }, { initWeights: false }).catch((e: Error) => (err = e));
    expect(err?.message).to.match(/roi_head\.bbox_head\.1\.in_channels: 16 does not match/);
  });

  it('an unrescaled predict keeps the detections in the resized frame', function () {
    const meta = { ...fx.cfg.img_metas[0], ori_shape: fx.cfg.img_metas[0].img_shape as [number, number], scale_factor: [1, 1] as [number, number] };
    const [s] = h.run(() => model.forward(h.engine.constant(io.get('input')!), [new DetDataSample(meta)], 'predict'));
    const boxes = (s.pred_instances!.bboxes as { data: Float32Array }).data;
    const ref = io.get('dets')!.data as Float32Array;
    // the same first detection at half the original-image coordinates
    for (let k = 0; k < 4; k++) expect(boxes[k]).to.be.closeTo(ref[k] / 2, 1e-2);
  });
});
