import { join } from 'node:path';
import { expect } from 'chai';
import type { HostTensor } from '../../../src/core/host-tensor';
import { HRNet } from '../../../src/models/backbones/hrnet/hrnet';
import { HRNetClsHead } from '../../../src/models/heads/cls/hrnet-cls-head';
import { ImageClassifier } from '../../../src/models/classifiers/image-classifier';
import { buildModel } from '../../../src/apis/build-model';
import type { BaseModel } from '../../../src/models/base-model';
import { describeOnBackends } from '../../core/helpers/backends';
import { loadStateDictInto } from '../../../src/apis/load-weights';
import { fromOfficialConfig } from '../../../src/models/official-config';
import { CHECKPOINTS, expectNear, fixtureModel, loadFixtureCheckpoint, readTensors, SHARED_HRNET, readOwnRef, type OwnRef } from '../../fixtures/hrnet/helpers';

describe('ImageClassifier: official cls_hrnet (fixture cls_tiny)', function () {
  const models = new Map<string, ImageClassifier>();
  let io: Map<string, HostTensor>;
  let inter: Map<string, HostTensor>;

  before(async function () {
    io = await readTensors(join(SHARED_HRNET, 'cls_tiny/io.safetensors'));
    inter = await readTensors(join(SHARED_HRNET, 'cls_tiny/intermediates.safetensors'));
    for (const file of CHECKPOINTS) {
      const model = (await fixtureModel('cls_tiny')) as ImageClassifier;
      const { layout } = await loadFixtureCheckpoint(model, 'cls_tiny', file);
      expect(layout, file).to.equal('official');
      models.set(file, model);
    }
  });

  it('has the official head and cls_hrnet parameter count', function () {
    const model = models.get('state_dict.pth')!;
    expect(model.head).to.be.instanceOf(HRNetClsHead);
    expect(model.numParameters()).to.equal(435146); // stats.json params
  });

  describeOnBackends('forward', (h) => {
    for (const file of CHECKPOINTS) {
      it(`reproduces the logits (${file})`, function () {
        const model = models.get(file)!;
        const out = h.run(() => h.read(model.forward(h.engine.constant(io.get('input')!)).get('output')!));
        expectNear(out, io.get('output')!, 'output');
      });
    }

    it('reproduces the intermediate activations (body, final_layer, pooled vector)', function () {
      const model = models.get('state_dict_legacy.pth')!;
      const head = model.head as HRNetClsHead;
      const got = h.run(() => {
        const x = h.engine.constant(io.get('input')!);
        const rec = (model.backbone as HRNet).forwardIntermediates(x);
        const feats = model.backbone.forward(x);
        rec.set('head.final_layer', head.finalFeatures(feats));
        rec.set('head.pooled', head.pooled(feats));
        return new Map([...rec].map(([k, v]) => [k, h.read(v)]));
      });
      expect([...got.keys()].sort()).to.deep.equal([...inter.keys()].sort());
      for (const [name, ref] of inter) expectNear(got.get(name)!, ref, name);
    });
  });
});

describe('HRNetClsHead: construction', function () {
  it('refuses head_channels that do not match the branches', async function () {
    try {
      await buildModel({
        model: {
          type: 'ImageClassifier',
          backbone: { type: 'HRNet', extra: { stage1: s(1, 'BOTTLENECK', [8]), stage2: s(1, 'BASIC', [4, 8]), stage3: s(1, 'BASIC', [4, 8, 16]), stage4: s(1, 'BASIC', [4, 8, 16, 32]) } },
          head: { type: 'HRNetClsHead', in_channels: [4, 8, 16, 32], head_channels: [4, 8, 16] },
        },
      });
      expect.fail('should be refused');
    } catch (e) {
      expect((e as Error).message).to.match(/^model\.head\.head_channels: needs one entry per branch/);
    }
  });
});

function s(modules: number, block: string, channels: number[]) {
  return { num_modules: modules, num_branches: channels.length, block, num_blocks: channels.map(() => 1), num_channels: channels };
}

describe('ImageClassifier: own PyTorch reference (Bottleneck stage 4, other head widths, batch 2)', function () {
  let ref: OwnRef;
  let model: BaseModel;

  before(async function () {
    ref = await readOwnRef('cls_bottleneck');
    model = (await buildModel(fromOfficialConfig(ref.config))).model;
    const { layout } = loadStateDictInto(model, ref.state, 'cls_bottleneck', { strict: true });
    expect(layout).to.equal('official');
  });

  describeOnBackends('forward', (h) => {
      it('matches the float64 reference', function () {
        const out = h.run(() => h.read(model.forward(h.engine.constant(ref.tensors.get('input')!)).get('output')!));
        expectNear(out, ref.tensors.get('output')!, 'output');
      });
  });
});
