import { join } from 'node:path';
import { expect } from 'chai';
import { hostTensor, type HostTensor } from '../../../src/core/host-tensor';
import type { Tensor } from '../../../src/core/tensor';
import { SegDataSample } from '../../../src/structures/seg-data-sample';
import { HRNet } from '../../../src/models/backbones/hrnet/hrnet';
import { FCNHead } from '../../../src/models/heads/seg/fcn-head';
import { EncoderDecoder } from '../../../src/models/segmentors/encoder-decoder';
import { buildModel } from '../../../src/apis/build-model';
import type { BaseModel } from '../../../src/models/base-model';
import { describeOnBackends } from '../../core/helpers/backends';
import { loadStateDictInto } from '../../../src/apis/load-weights';
import { fromOfficialConfig } from '../../../src/models/official-config';
import { CHECKPOINTS, expectNear, fixtureModel, loadFixtureCheckpoint, readTensors, SHARED_HRNET, readOwnRef, type OwnRef } from '../../fixtures/hrnet/helpers';

describe('EncoderDecoder: official seg_hrnet (fixture seg_tiny)', function () {
  const models = new Map<string, EncoderDecoder>();
  let io: Map<string, HostTensor>;
  let inter: Map<string, HostTensor>;

  before(async function () {
    io = await readTensors(join(SHARED_HRNET, 'seg_tiny/io.safetensors'));
    inter = await readTensors(join(SHARED_HRNET, 'seg_tiny/intermediates.safetensors'));
    for (const file of CHECKPOINTS) {
      const model = (await fixtureModel('seg_tiny')) as EncoderDecoder;
      const { layout } = await loadFixtureCheckpoint(model, 'seg_tiny', file);
      expect(layout, file).to.equal('official');
      models.set(file, model);
    }
  });

  it('is HRNetV2 + the last_layer head (FCNHead with conv bias) with seg_hrnet parameter count', function () {
    const model = models.get('state_dict.pth')!;
    expect(model.head).to.be.instanceOf(FCNHead);
    expect(model.numParameters()).to.equal(313251); // stats.json params
    expect(model.outputNames()).to.deep.equal(['backbone.0', 'backbone.1', 'backbone.2', 'backbone.3', 'output']);
    const keys = [...model.namedState()].map(([k]) => k).filter((k) => k.startsWith('decode_head.'));
    expect(keys).to.include.members(['decode_head.conv_seg.weight', 'decode_head.convs.0.conv.bias', 'decode_head.convs.0.bn.running_var']);
  });

  describeOnBackends('forward', (h) => {
    for (const file of CHECKPOINTS) {
      it(`reproduces the H/4 logits and their resize to the input (${file})`, function () {
        const model = models.get(file)!;
        const input = io.get('input')!;
        const [out, up] = h.run(() => {
          const named = model.forward(h.engine.constant(input));
          const logits = named.get('output')!;
          return [h.read(logits), predictedLogits(model, h.engine.constant(input))];
        });
        expectNear(out, io.get('output')!, 'output');
        expectNear(up, io.get('output_upsampled')!, 'output_upsampled');
      });
    }

    it('reproduces the intermediate activations (body and the 4-branch concat)', function () {
      const model = models.get('state_dict.pth')!;
      const got = h.run(() => {
        const x = h.engine.constant(io.get('input')!);
        const rec = (model.backbone as HRNet).forwardIntermediates(x);
        const feats = model.backbone.forward(x);
        rec.set('last_layer.input', (model.head as FCNHead).transformInputs(feats));
        return new Map([...rec].map(([k, v]) => [k, h.read(v)]));
      });
      expect([...got.keys()].sort()).to.deep.equal([...inter.keys()].sort());
      for (const [name, ref] of inter) expectNear(got.get(name)!, ref, name);
    });
  });
});

describe('EncoderDecoder / FCNHead: construction (mmseg vocabulary)', function () {
  const backbone = {
    type: 'HRNet',
    extra: {
      stage1: { num_modules: 1, num_branches: 1, block: 'BOTTLENECK', num_blocks: [1], num_channels: [8] },
      stage2: { num_modules: 1, num_branches: 2, block: 'BASIC', num_blocks: [1, 1], num_channels: [4, 8] },
      stage3: { num_modules: 1, num_branches: 3, block: 'BASIC', num_blocks: [1, 1, 1], num_channels: [4, 8, 16] },
      stage4: { num_modules: 1, num_branches: 4, block: 'BASIC', num_blocks: [1, 1, 1, 1], num_channels: [4, 8, 16, 32] },
    },
  };
  const head = {
    type: 'FCNHead',
    in_channels: [4, 8, 16, 32],
    in_index: [0, 1, 2, 3],
    input_transform: 'resize_concat',
    channels: 60,
    kernel_size: 1,
    num_convs: 1,
    concat_input: false,
    dropout_ratio: -1,
    num_classes: 5,
    norm_cfg: { type: 'BN', requires_grad: true },
    align_corners: false,
  };

  it("uses mmseg's key order and no conv bias before a norm", async function () {
    const { model } = await buildModel({ model: { type: 'EncoderDecoder', backbone, decode_head: head } });
    const keys = [...model.namedState()].map(([k]) => k).filter((k) => k.startsWith('decode_head.'));
    expect(keys.slice(0, 3)).to.deep.equal(['decode_head.conv_seg.weight', 'decode_head.conv_seg.bias', 'decode_head.convs.0.conv.weight']);
    expect(keys).to.not.include('decode_head.convs.0.conv.bias');
  });

  it('builds conv_cat when concat_input is set and refuses inconsistent inputs with config paths', async function () {
    const { model } = await buildModel({
      model: { type: 'EncoderDecoder', backbone, decode_head: { ...head, concat_input: true, num_convs: 2, kernel_size: 3, channels: 12 } },
    });
    const keys = [...model.namedState()].map(([k]) => k);
    expect(keys).to.include.members(['decode_head.convs.1.conv.weight', 'decode_head.conv_cat.conv.weight']);
    expect([...model.namedState()].find(([k]) => k === 'decode_head.conv_cat.conv.weight')![1].shape).to.deep.equal([12, 72, 3, 3]);
    const bad = async (patch: Record<string, unknown>, re: RegExp) => {
      try {
        await buildModel({ model: { type: 'EncoderDecoder', backbone, decode_head: { ...head, ...patch } } });
        expect.fail('should be refused');
      } catch (e) {
        expect((e as Error).message).to.match(re);
      }
    };
    await bad({ in_index: [0, 1] }, /^model\.decode_head\.in_index: /);
    await bad({ input_transform: null }, /^model\.decode_head\.in_channels: /);
    await bad({ num_convs: 0, channels: 12 }, /^model\.decode_head\.channels: /);
    await bad({ out_channels: 3 }, /^model\.decode_head\.out_channels: /);
    await bad({ seg_kernel_size: 5 }, /^model\.decode_head\.seg_kernel_size: /);
  });
});

describe('EncoderDecoder: own PyTorch reference (odd input size, align_corners true, width change read from its own branch, 3x3 classifier, batch 2)', function () {
  let ref: OwnRef;
  let model: BaseModel;

  before(async function () {
    ref = await readOwnRef('seg_odd');
    model = (await buildModel(fromOfficialConfig(ref.config))).model;
    const { layout } = loadStateDictInto(model, ref.state, 'seg_odd', { strict: true });
    expect(layout).to.equal('official');
  });

  describeOnBackends('forward', (h) => {
      it('matches the float64 reference (logits and their resize to the input)', function () {
        const input = ref.tensors.get('input')!;
        const [out, up] = h.run(() => {
          const logits = model.forward(h.engine.constant(input)).get('output')!;
          return [h.read(logits), predictedLogits(model as EncoderDecoder, h.engine.constant(input))];
        });
        expectNear(out, ref.tensors.get('output')!, 'output');
        expectNear(up, ref.tensors.get('output_upsampled')!, 'output_upsampled');
      });
  });
});

/**
 * The logits `predict` resizes to the original image (here the input's own size, so the
 * reference's single resize to the input), checked against its arg-max label map too.
 */
function predictedLogits(model: EncoderDecoder, input: Tensor): HostTensor {
  const [N, , H, W] = input.shape;
  const samples = Array.from({ length: N }, () => new SegDataSample({ img_shape: [H, W], ori_shape: [H, W] }));
  const out = model.predict(input, samples);
  const C = out[0].seg_logits!.shape[0];
  const all = new Float32Array(N * C * H * W);
  out.forEach((s, n) => {
    const logits = s.seg_logits!.array as Float32Array;
    const labels = s.pred_sem_seg!.array;
    for (let i = 0; i < H * W; i += 97) {
      let best = 0;
      for (let c = 1; c < C; c++) if (logits[c * H * W + i] > logits[best * H * W + i]) best = c;
      expect(labels[i], `label of image ${n} at pixel ${i}`).to.equal(best);
    }
    all.set(logits, n * C * H * W);
  });
  return hostTensor('float32', [N, C, H, W], all);
}
