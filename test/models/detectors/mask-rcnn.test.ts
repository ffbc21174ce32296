import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import type { HostTensor } from '../../../src/core/host-tensor';
import { activeBackend, initBackend } from '../../../src/engines/tfjs/backend';
import { MaskRCNN } from '../../../src/models/detectors/mask-rcnn';
import { BitmapMasks } from '../../../src/structures/masks';
import { Harness } from '../../core/helpers/backends';
import { expectNear } from '../../fixtures/hrnet/helpers';
import { expectBoxes, firstRows, fixtureKeys, labelsOf, loadDetFixture, type DetFixture } from './det-fixture';
import '../../../src/components';

/** Pixels where two [N, H, W] 0/1 mask stacks differ. */
function differingPixels(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < b.length; i++) if ((a[i] ? 1 : 0) !== (b[i] ? 1 : 0)) n++;
  return n;
}

describe('MaskRCNN: mmdetection fixture mask_rcnn_tiny (HRNet + HRFPN, FCNMaskHead, tfjs wasm)', function () {
  this.timeout(60000);
  const h = new Harness();
  let fx: DetFixture;
  let model: MaskRCNN;
  let io: Map<string, HostTensor>;
  let out: Map<string, HostTensor>;
  let previous: string | undefined;

  before(async function () {
    previous = activeBackend()?.name;
    await initBackend('wasm');
    fx = await loadDetFixture('mask_rcnn_tiny');
    expect(fx.model).to.be.instanceOf(MaskRCNN);
    model = fx.model as MaskRCNN;
    io = fx.io;
    tf.engine().startScope();
    const raw = h.run(() => new Map([...model.forwardTensor(new Map([['input', h.engine.constant(io.get('input')!)]]), fx.samples())].map(([k, v]) => [k, h.read(v)])));
    out = model.pasteMaskOutputs(raw, fx.samples());
    tf.engine().endScope();
  });
  after(async () => {
    if (previous && previous !== 'wasm') await initBackend(previous);
  });
  beforeEach(() => tf.engine().startScope());
  afterEach(() => tf.engine().endScope());

  it('has exactly the checkpoint entries under mmdetection key names (roi_head.mask_head.*)', function () {
    const got = [...model.namedState()].map(([k, p]) => `${k} ${p.dtype} [${p.shape.join(', ')}]`);
    expect(got).to.deep.equal(fixtureKeys(fx.dir));
  });

  it('reproduces the neck, the RPN, the proposals and the box head', function () {
    for (let l = 0; l < 5; l++) {
      expectNear(out.get(`neck.${l}`)!, io.get(`neck.${l}`)!, `neck.${l}`);
      expectNear(out.get(`rpn_cls.${l}`)!, io.get(`rpn_cls.${l}`)!, `rpn_cls.${l}`);
      expectNear(out.get(`rpn_reg.${l}`)!, io.get(`rpn_reg.${l}`)!, `rpn_reg.${l}`);
    }
    expectBoxes(out.get('proposals')!, io.get('proposals')!, 'proposals');
    expectNear(firstRows(out.get('roi_feats')!, 8), io.get('roi_feats')!, 'roi_feats');
    expectNear(out.get('rcnn_cls_score')!, io.get('rcnn_cls_score')!, 'rcnn_cls_score');
    expectNear(firstRows(out.get('rcnn_bbox_pred')!, 128), io.get('rcnn_bbox_pred')!, 'rcnn_bbox_pred');
  });

  it('reproduces the detections (NMS in the resized frame, then divided by scale_factor)', function () {
    expectBoxes(out.get('dets')!, io.get('dets')!, 'dets');
    expect(Array.from(out.get('labels')!.data as Int32Array)).to.deep.equal(labelsOf(io.get('labels')!));
  });

  it("reproduces the mask logits of each detection's class and every pasted mask pixel", function () {
    expectNear(out.get('mask_pred_label')!, io.get('mask_pred_label')!, 'mask_pred_label');
    const masks = out.get('masks')!;
    expect(masks.shape).to.deep.equal(io.get('masks')!.shape);
    expect(differingPixels(masks.data as Uint8Array, io.get('masks')!.data as Uint8Array)).to.equal(0);
    expect([...out.keys()]).to.deep.equal(model.outputNames());
  });

  it('predict writes bitmap masks of the original image into pred_instances', function () {
    const [s] = h.run(() => model.forward(h.engine.constant(io.get('input')!), fx.samples(), 'predict'));
    const p = s.pred_instances!;
    expect(p.masks).to.be.instanceOf(BitmapMasks);
    const m = p.masks as BitmapMasks;
    expect([m.length, m.height, m.width]).to.deep.equal([16, 240, 300]);
    expect(differingPixels(m.data, io.get('masks')!.data as Uint8Array)).to.equal(0);
    expect(Array.from(p.labels as Int32Array)).to.deep.equal(labelsOf(io.get('labels')!));
  });

  it('a batch of two images gives per-image masks with .i names', function () {
    const one = io.get('input')!;
    const both: HostTensor = { dtype: 'float32', shape: [2, ...one.shape.slice(1)], data: Float32Array.from([...(one.data as Float32Array), ...(one.data as Float32Array)]) };
    const raw = h.run(() => new Map([...model.forwardTensor(new Map([['input', h.engine.constant(both)]]), [...fx.samples(), ...fx.samples()])].map(([k, v]) => [k, h.read(v)])));
    const got = model.pasteMaskOutputs(raw, [...fx.samples(), ...fx.samples()]);
    for (const i of [0, 1]) {
      expectBoxes(got.get(`dets.${i}`)!, io.get('dets')!, `dets.${i}`);
      expect(differingPixels(got.get(`masks.${i}`)!.data as Uint8Array, io.get('masks')!.data as Uint8Array)).to.equal(0);
    }
    expect([...got.keys()]).to.deep.equal(model.outputNames(2));
  });
});
