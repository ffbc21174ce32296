import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { HostTensor } from '../../../src/core/host-tensor';
import { UserError } from '../../../src/core/errors';
import { loadCheckpoint } from '../../../src/io/checkpoint';
import { buildModel } from '../../../src/apis/build-model';
import { FCOS } from '../../../src/models/detectors/fcos';
import { FCOSHead } from '../../../src/models/heads/dense/fcos-head';
import { Boxes } from '../../../src/structures/boxes';
import { DetDataSample } from '../../../src/structures/det-data-sample';
import { describeOnBackends, Harness } from '../../core/helpers/backends';

const h0 = new Harness();
import { expectNear, readTensors } from '../../fixtures/hrnet/helpers';
import { sharedFixtures } from '../../fixture-root';

/**
 * mmdetection's FCOS test path on the det fixture fcos_tiny (HRNet + HRFPN stride 2 +
 * FCOSHead with GN, norm_on_bbox, centerness_on_reg, conv_bias): built from the fixture's
 * mmdetection config, its checkpoint loaded strictly, every stage compared as the fixture's
 * README suggests.
 */
describe('FCOS: mmdetection fixture fcos_tiny', function () {
  const dir = join(sharedFixtures(), 'det', 'fcos_tiny');
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  let model: FCOS;
  let io: Map<string, HostTensor>;

  before(async function () {
    io = await readTensors(join(dir, 'io.safetensors'));
    model = (await buildModel({ model: cfg.model }, { initWeights: false })).model as FCOS;
    model.loadStateDict((await loadCheckpoint(join(dir, 'state_dict.pth'))).stateDict, { strict: true });
  });

  it('has exactly the checkpoint entries and declares the fixture output names', function () {
    const expected = readFileSync(join(dir, 'keys.txt'), 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
    expect([...model.namedState()].map(([k]) => k)).to.have.members(expected);
    expect(model.bbox_head).to.be.instanceOf(FCOSHead);
    const names = Object.keys(cfg.outputs).filter((k) => k !== 'input' && k !== 'dets' && k !== 'labels');
    expect(model.outputNames()).to.deep.equal(names);
    expect(model.numParameters()).to.equal(445370);
  });

  describeOnBackends('test path', (h) => {
    it('reproduces the neck and head tensors', function () {
      const got = h.run(() => new Map([...model.forward(h.engine.constant(io.get('input')!))].map(([k, v]) => [k, h.read(v)])));
      expect([...got.keys()]).to.deep.equal(model.outputNames());
      for (const [k, t] of got) expectNear(t, io.get(k)!, k);
    });

    it('reproduces the final detections in original-image pixels', function () {
      const sample = new DetDataSample(cfg.img_metas[0]);
      const [pred] = h.run(() => model.forward(h.engine.constant(io.get('input')!), [sample], 'predict'));
      const inst = pred.pred_instances!;
      const ref = io.get('dets')!.data as Float32Array;
      const refLabels = Array.from(io.get('labels')!.data as ArrayLike<number | bigint>, Number);
      expect(inst.length).to.equal(refLabels.length);
      expect(Array.from(inst.labels as Int32Array)).to.deep.equal(refLabels);
      const boxes = (inst.bboxes as Boxes).data;
      const scores = inst.scores as Float32Array;
      for (let i = 0; i < refLabels.length; i++) {
        for (let k = 0; k < 4; k++) {
          const r = ref[5 * i + k];
          expect(Math.abs(boxes[4 * i + k] - r), `det ${i} coord ${k}`).to.be.at.most(Math.max(1e-2, 1e-3 * Math.abs(r)));
        }
        expect(Math.abs(scores[i] - ref[5 * i + 4]), `det ${i} score`).to.be.at.most(5e-5);
      }
    });
  });

  describeOnBackends('batch of two', (h) => {
    it('gives each image the fixture detections (tensor mode keeps the batch, predict slices it)', function () {
      const one = io.get('input')!;
      const two = { ...one, shape: [2, ...one.shape.slice(1)], data: Float32Array.from([...(one.data as Float32Array), ...(one.data as Float32Array)]) };
      const samples = [new DetDataSample(cfg.img_metas[0]), new DetDataSample(cfg.img_metas[0])];
      const preds = h.run(() => {
        const x = h.engine.constant(two);
        expect(model.forward(x).get('cls_score.0')!.shape).to.deep.equal([2, 80, 16, 20]);
        return model.forward(x, samples, 'predict');
      });
      const ref = Array.from(io.get('labels')!.data as ArrayLike<number | bigint>, Number);
      for (const p of preds) expect(Array.from(p.pred_instances!.labels as Int32Array)).to.deep.equal(ref);
      expect((preds[1].pred_instances!.bboxes as Boxes).data).to.deep.equal((preds[0].pred_instances!.bboxes as Boxes).data);
    });
  });

  it('a head whose in_channels differ from the neck is refused by name', async function () {
    const bad = { model: { ...cfg.model, bbox_head: { ...cfg.model.bbox_head, in_channels: 64 } } };
    await buildModel(bad, { initWeights: false }).then(
      () => expect.fail('built'),
      (e: Error) => expect(e.message).to.match(/model\.bbox_head\.in_channels: 64 does not match the neck's output channels \[32, 32, 32, 32, 32\]/),
    );
  });

  it("has the 'loss' mode; a sample without gt_instances is refused in one line", function () {
    expect(model.modes).to.include('loss');
    const input = io.get('input')!;
    expect(() => h0.run(() => model.forward(h0.engine.constant(input), [new DetDataSample(cfg.img_metas[0])], 'loss'))).to.throw(UserError, /sample 0 has no gt_instances/);
  });
});
