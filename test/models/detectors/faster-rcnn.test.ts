import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel } from '../../../src/apis/build-model';
import { loadStateDictInto } from '../../../src/apis/load-weights';
import { UserError } from '../../../src/core/errors';
import type { HostTensor } from '../../../src/core/host-tensor';
import { activeBackend, initBackend } from '../../../src/engines/tfjs/backend';
import { loadCheckpoint } from '../../../src/io/checkpoint';
import { readSafetensors } from '../../../src/io/safetensors';
import { FasterRCNN } from '../../../src/models/detectors/faster-rcnn';
import { DetDataSample } from '../../../src/structures/det-data-sample';
import { Harness } from '../../core/helpers/backends';
import { sharedFixtures } from '../../fixture-root';
import { expectNear } from '../../fixtures/hrnet/helpers';
import '../../../src/components';

const DIR = join(sharedFixtures(), 'det', 'faster_rcnn_tiny');

/** The README's box rule: within max(1e-2 px, 1e-3 * |ref|) per coordinate, scores within 5e-5. */
function expectBoxes(actual: HostTensor, expected: HostTensor, name: string): void {
  expect([...actual.shape], `${name} shape`).to.deep.equal([...expected.shape]);
  const [a, e] = [actual.data as Float32Array, expected.data as Float32Array];
  for (let i = 0; i < e.length; i++) {
    const isScore = i % 5 === 4;
    const tol = isScore ? 5e-5 : Math.max(1e-2, 1e-3 * Math.abs(e[i]));
    expect(Math.abs(a[i] - e[i]), `${name} row ${Math.floor(i / 5)} col ${i % 5}: ${a[i]} vs ${e[i]}`).to.be.at.most(tol);
  }
}

function firstRows(t: HostTensor, n: number): HostTensor {
  const row = t.shape.slice(1).reduce((x, y) => x * y, 1);
  return { dtype: t.dtype, shape: [n, ...t.shape.slice(1)], data: (t.data as Float32Array).slice(0, n * row) };
}

describe('FasterRCNN: mmdetection fixture faster_rcnn_tiny (HRNet + HRFPN, tfjs wasm)', function () {
  this.timeout(60000);
  const h = new Harness();
  let model: FasterRCNN;
  let io: Map<string, HostTensor>;
  let samples: DetDataSample[];
  let previous: string | undefined;

  before(async function () {
    previous = activeBackend()?.name;
    await initBackend('wasm');
    const cfg = JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8'));
    const built = (await buildModel({ model: cfg.model }, { initWeights: false })).model;
    expect(built).to.be.instanceOf(FasterRCNN);
    model = built as FasterRCNN;
    const path = join(DIR, 'state_dict.pth');
    loadStateDictInto(model, (await loadCheckpoint(path)).stateDict, path, { strict: true });
    io = (await readSafetensors(join(DIR, 'io.safetensors'))).tensors;
    samples = cfg.img_metas.map((m: Record<string, unknown>) => new DetDataSample(m));
  });
  after(async () => {
    if (previous && previous !== 'wasm') await initBackend(previous);
  });
  beforeEach(() => tf.engine().startScope());
  afterEach(() => tf.engine().endScope());

  it('has exactly the checkpoint entries under mmdetection key names', function () {
    const expected = readFileSync(join(DIR, 'keys.txt'), 'utf8').trim().split('\n');
    const got = [...model.namedState()].map(([k, p]) => `${k} ${p.dtype} [${p.shape.join(', ')}]`);
    expect(got).to.deep.equal(expected);
  });

  it('reproduces every stage: neck, RPN, proposals, RoI features, box head, detections', function () {
    const out = h.run(() => new Map([...model.forwardTensor(new Map([['input', h.engine.constant(io.get('input')!)]]), samples)].map(([k, v]) => [k, h.read(v)])));
    for (let l = 0; l < 5; l++) {
      expectNear(out.get(`neck.${l}`)!, io.get(`neck.${l}`)!, `neck.${l}`);
      expectNear(out.get(`rpn_cls.${l}`)!, io.get(`rpn_cls.${l}`)!, `rpn_cls.${l}`);
      expectNear(out.get(`rpn_reg.${l}`)!, io.get(`rpn_reg.${l}`)!, `rpn_reg.${l}`);
    }
    expectBoxes(out.get('proposals')!, io.get('proposals')!, 'proposals');
    expectNear(firstRows(out.get('roi_feats')!, 8), io.get('roi_feats')!, 'roi_feats');
    expectNear(out.get('rcnn_cls_score')!, io.get('rcnn_cls_score')!, 'rcnn_cls_score');
    expectNear(firstRows(out.get('rcnn_bbox_pred')!, 128), io.get('rcnn_bbox_pred')!, 'rcnn_bbox_pred');
    expectBoxes(out.get('dets')!, io.get('dets')!, 'dets');
    expect(Array.from(out.get('labels')!.data as ArrayLike<number>)).to.deep.equal(Array.from(io.get('labels')!.data as ArrayLike<bigint>, Number));
    expect([...out.keys()]).to.include.members(model.outputNames());
  });
});

describe('FasterRCNN: predict, batches and modes (faster_rcnn_tiny)', function () {
  this.timeout(60000);
  const h = new Harness();
  let model: FasterRCNN;
  let io: Map<string, HostTensor>;
  let meta: Record<string, unknown>;

  before(async function () {
    await initBackend('wasm');
    const cfg = JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8'));
    model = (await buildModel({ model: cfg.model }, { initWeights: false })).model as FasterRCNN;
    const path = join(DIR, 'state_dict.pth');
    loadStateDictInto(model, (await loadCheckpoint(path)).stateDict, path, { strict: true });
    io = (await readSafetensors(join(DIR, 'io.safetensors'))).tensors;
    meta = cfg.img_metas[0];
  });
  beforeEach(() => tf.engine().startScope());
  afterEach(() => tf.engine().endScope());

  it('predict writes pred_instances in original-image pixels (the fixture detections)', function () {
    const [s] = h.run(() => model.forward(h.engine.constant(io.get('input')!), [new DetDataSample(meta)], 'predict'));
    const p = s.pred_instances!;
    const rows = new Float32Array(p.length * 5);
    const boxes = (p.bboxes as { data: Float32Array }).data;
    for (let i = 0; i < p.length; i++) rows.set([...boxes.subarray(4 * i, 4 * i + 4), (p.scores as Float32Array)[i]], 5 * i);
    expectBoxes({ dtype: 'float32', shape: [p.length, 5], data: rows }, io.get('dets')!, 'pred_instances');
    expect(Array.from(p.labels as Int32Array)).to.deep.equal(Array.from(io.get('labels')!.data as ArrayLike<bigint>, Number));
  });

  it('a batch of two images gives per-image results with .i names and RoI tensors of both', function () {
    const one = io.get('input')!;
    const both: HostTensor = { dtype: 'float32', shape: [2, ...one.shape.slice(1)], data: Float32Array.from([...(one.data as Float32Array), ...(one.data as Float32Array)]) };
    const samples = [new DetDataSample(meta), new DetDataSample(meta)];
    const out = h.run(() => new Map([...model.forwardTensor(new Map([['input', h.engine.constant(both)]]), samples)].map(([k, v]) => [k, h.read(v)])));
    for (const i of [0, 1]) {
      expectBoxes(out.get(`proposals.${i}`)!, io.get('proposals')!, `proposals.${i}`);
      expectBoxes(out.get(`dets.${i}`)!, io.get('dets')!, `dets.${i}`);
    }
    expect(out.get('rcnn_cls_score')!.shape).to.deep.equal([2 * io.get('proposals')!.shape[0], 81]);
    expect(out.has('dets')).to.equal(false);
  });

  it("lists the modes it has; 'loss' without train_cfg is refused in one line", function () {
    expect(model.modes).to.deep.equal(['tensor', 'predict', 'loss']);
    expect(() => model.forward(h.engine.constant(io.get('input')!), [new DetDataSample(meta)], 'loss')).to.throw(UserError, /FasterRCNN: the 'loss' mode needs train_cfg \(rpn, rpn_proposal, rcnn\)/);
  });

  it('validates train_cfg strictly, naming the config path', async function () {
    const cfg = JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8'));
    const trainCfg = JSON.parse(readFileSync(join(sharedFixtures(), 'det_train', 'faster_rcnn_tiny', 'config.json'), 'utf8')).model.train_cfg;
    const bad = { ...trainCfg, rpn: { ...trainCfg.rpn, allowed_borders: 0 } };
    const err = await buildModel({ model: { ...cfg.model, train_cfg: bad } }, { initWeights: false }).catch((e: Error) => e);
    expect((err as Error).message).to.match(/train_cfg\.rpn.*allowed_borders/);
    const badSampler = { ...trainCfg, rcnn: { ...trainCfg.rcnn, sampler: { type: 'RandomSampler', num: 512 } } };
    const err2 = await buildModel({ model: { ...cfg.model, train_cfg: badSampler } }, { initWeights: false }).catch((e: Error) => e);
    expect((err2 as Error).message).to.match(/train_cfg\.rcnn\.sampler.*pos_fraction/);
  });

  it('rejects a box head whose in_channels disagree with the RoI extractor', async function () {
    const cfg = JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8'));
    cfg.model.roi_head.bbox_head.in_channels = 16;
    let err: Error | undefined;
    await buildModel({ model: cfg.model }, { initWeights: false }).catch((e: Error) => (err = e));
    expect(err?.message).to.match(/roi_head\.bbox_head\.in_channels: 16 does not match bbox_roi_extractor\.out_channels 32/);
  });
});
