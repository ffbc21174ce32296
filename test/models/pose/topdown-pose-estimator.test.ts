import { join } from 'node:path';
import { expect } from 'chai';
import { hostTensor, type HostTensor } from '../../../src/core/host-tensor';
import { forwardTfjs } from '../../../src/apis/forward';
import { HRNet } from '../../../src/models/backbones/hrnet/hrnet';
import { HeatmapHead } from '../../../src/models/heads/pose/heatmap-head';
import { TopdownPoseEstimator } from '../../../src/models/pose/topdown-pose-estimator';
import type { BaseModel } from '../../../src/models/base-model';
import { buildModel } from '../../../src/apis/build-model';
import { describeOnBackends } from '../../core/helpers/backends';
import { loadStateDictInto } from '../../../src/apis/load-weights';
import { fromOfficialConfig } from '../../../src/models/official-config';
import { CHECKPOINTS, expectNear, fixtureModel, loadFixtureCheckpoint, readTensors, SHARED_HRNET, readOwnRef, type OwnRef } from '../../fixtures/hrnet/helpers';

describe('TopdownPoseEstimator: official pose_hrnet (fixture pose_tiny)', function () {
  const models = new Map<string, BaseModel>();
  let io: Map<string, HostTensor>;
  let inter: Map<string, HostTensor>;

  before(async function () {
    io = await readTensors(join(SHARED_HRNET, 'pose_tiny/io.safetensors'));
    inter = await readTensors(join(SHARED_HRNET, 'pose_tiny/intermediates.safetensors'));
    for (const file of CHECKPOINTS) {
      const model = await fixtureModel('pose_tiny');
      const { layout, report } = await loadFixtureCheckpoint(model, 'pose_tiny', file);
      expect(layout, file).to.equal('official');
      expect(report.missing.length + report.unexpected.length + report.mismatched.length, file).to.equal(0);
      models.set(file, model);
    }
  });

  it('is HRNetV1 (stage-4 branch 0 only) with a 1x1 heatmap conv and pose_hrnet parameter count', function () {
    const model = models.get('state_dict.pth')!;
    expect(model).to.be.instanceOf(TopdownPoseEstimator);
    expect((model as TopdownPoseEstimator).backbone.outputShape()).to.deep.equal([{ channels: 8, stride: 4 }]);
    expect((model as TopdownPoseEstimator).head).to.be.instanceOf(HeatmapHead);
    expect(model.numParameters()).to.equal(578697); // stats.json params
    expect(model.outputNames()).to.deep.equal(['backbone.0', 'output']);
  });

  describeOnBackends('forward', (h) => {
    for (const file of CHECKPOINTS) {
      it(`reproduces the heatmaps (${file})`, function () {
        const model = models.get(file)!;
        const named = h.run(() => model.forward(h.engine.constant(io.get('input')!)));
        expect([...named.keys()]).to.deep.equal(['backbone.0', 'output']);
        expectNear(h.read(named.get('output')!), io.get('output')!, 'output');
      });
    }

    it('reproduces the intermediate activations', function () {
      const model = models.get('state_dict.pth') as TopdownPoseEstimator;
      const got = h.run(() => (model.backbone as HRNet).forwardIntermediates(h.engine.constant(io.get('input')!)));
      expect([...got.keys()].sort()).to.deep.equal([...inter.keys()].sort());
      for (const [name, ref] of inter) expectNear(h.read(got.get(name)!), ref, name);
    });
  });
});

describe('TopdownPoseEstimator: construction', function () {
  const backbone = {
    type: 'HRNet',
    multiscale_output: false,
    extra: {
      stage1: { num_modules: 1, num_branches: 1, block: 'BOTTLENECK', num_blocks: [1], num_channels: [8] },
      stage2: { num_modules: 1, num_branches: 2, block: 'BASIC', num_blocks: [1, 1], num_channels: [4, 8] },
      stage3: { num_modules: 1, num_branches: 3, block: 'BASIC', num_blocks: [1, 1, 1], num_channels: [4, 8, 16] },
      stage4: { num_modules: 1, num_branches: 4, block: 'BASIC', num_blocks: [1, 1, 1, 1], num_channels: [4, 8, 16, 32] },
    },
  };

  it('maps official keys (final_layer, body) onto head/backbone', function () {
    return buildModel({ model: { type: 'TopdownPoseEstimator', backbone, head: { type: 'HeatmapHead', in_channels: 4, out_channels: 3, deconv_out_channels: null } } }).then(
      ({ model }) => {
        const rules = model.officialKeyMap();
        expect(rules).to.deep.include({ from: 'final_layer.', to: 'head.final_layer.' });
        expect(rules).to.deep.include({ from: 'stage4.', to: 'backbone.stage4.' });
        const keys = [...model.namedState()].map(([k]) => k);
        expect(keys.filter((k) => k.startsWith('head.'))).to.deep.equal(['head.final_layer.weight', 'head.final_layer.bias']);
      },
    );
  });

  it('accepts an empty deconv list and conv layers (mmpose names)', async function () {
    const head = { type: 'HeatmapHead', in_channels: 4, out_channels: 3, deconv_out_channels: [], conv_out_channels: [6], conv_kernel_sizes: [3] };
    const { model } = await buildModel({ model: { type: 'TopdownPoseEstimator', backbone, head } });
    const keys = [...model.namedState()].map(([k]) => k).filter((k) => k.startsWith('head.'));
    expect(keys.slice(0, 3)).to.deep.equal(['head.conv_layers.0.weight', 'head.conv_layers.0.bias', 'head.conv_layers.1.weight']);
    // with conv layers the official layout no longer applies
    expect(model.officialKeyMap()).to.deep.equal([]);
  });

  it("builds mmpose's deconvolution stage: stride-2 transposed convs (kernel 4 and 3) doubling the heatmaps, BN, ReLU", async function () {
    const head = { type: 'HeatmapHead', in_channels: 4, out_channels: 3, deconv_out_channels: [6, 5], deconv_kernel_sizes: [4, 3] };
    const { model } = await buildModel({ model: { type: 'TopdownPoseEstimator', backbone, head } });
    const shapes = Object.fromEntries([...model.namedState()].filter(([k]) => k.startsWith('head.deconv_layers.')).map(([k, p]) => [k, p.shape]));
    expect(shapes['head.deconv_layers.0.weight']).to.deep.equal([4, 6, 4, 4]);
    expect(shapes['head.deconv_layers.1.running_mean']).to.deep.equal([6]);
    expect(shapes['head.deconv_layers.3.weight']).to.deep.equal([6, 5, 3, 3]);
    expect(shapes['head.deconv_layers.0.bias']).to.equal(undefined);
    const outs = forwardTfjs(model, hostTensor('float32', [1, 3, 32, 32], new Float32Array(3 * 32 * 32).fill(0.5)));
    // the backbone's stride-4 map is 8×8; two stride-2 deconvolutions make it 32×32
    expect(outs.get('output')!.shape).to.deep.equal([1, 3, 32, 32]);
    const bad = await buildModel({ model: { type: 'TopdownPoseEstimator', backbone, head: { ...head, deconv_kernel_sizes: [4] } } }).catch((e: Error) => e);
    expect((bad as Error).message).to.match(/^model\.head\.deconv_kernel_sizes: needs one kernel size per deconv_out_channels entry/);
  });
});

describe('TopdownPoseEstimator: own PyTorch reference (3x3 final layer, two stage-4 modules, batch 2)', function () {
  let ref: OwnRef;
  let model: BaseModel;

  before(async function () {
    ref = await readOwnRef('pose_k3');
    model = (await buildModel(fromOfficialConfig(ref.config))).model;
    const { layout } = loadStateDictInto(model, ref.state, 'pose_k3', { strict: true });
    expect(layout).to.equal('official');
  });

  describeOnBackends('forward', (h) => {
      it('matches the float64 reference', function () {
        const out = h.run(() => h.read(model.forward(h.engine.constant(ref.tensors.get('input')!)).get('output')!));
        expectNear(out, ref.tensors.get('output')!, 'output');
      });
  });
});
