import { expect } from 'chai';
import * as path from 'node:path';
import '../../src/models/backbones/resnet';
import '../../src/models/backbones/resnext';
import '../../src/models/necks/fpn';
import '../../src/models/backbones/hrnet/hrnet';
import '../../src/models/necks/hrfpn';
import * as fs from 'node:fs';
import { loadCheckpoint } from '../../src/io/checkpoint';
import { readSafetensors } from '../../src/io/safetensors';
import { sharedFixtures } from '../fixture-root';
import { runTraced, traceOps } from '../engines/onnx/helpers/parity';
import '../../src/models/feature-pyramid';
import { DetDataPreprocessor } from '../../src/models/data-preprocessors/det-data-preprocessor';
import type { FeaturePyramid, FeaturePyramidLoadReport } from '../../src/models/feature-pyramid';
import { loadConfig } from '../../src/config/load-config';
import { ConfigError } from '../../src/core/errors';
import type { StateDict } from '../../src/core/module';
import { build } from '../../src/registry/container';
import { MODELS } from '../../src/registry/registries';
import { describeOnBackends } from '../core/helpers/backends';
import { expectClose, readRefs, tensor, weights } from '../fixtures/resnet/refs';

const CONFIGS = path.resolve(__dirname, '../../../configs');
const model = (cfg: Record<string, unknown>) => build(MODELS, { type: 'FeaturePyramid', ...cfg }) as FeaturePyramid;
const tinyResNet = { type: 'ResNet', depth: 18, base_channels: 4 };

describe('FeaturePyramid: building', function () {
  it('takes the neck in_channels from the backbone when the config leaves them out', function () {
    const m = model({ backbone: tinyResNet, neck: { type: 'FPN', out_channels: 8, num_outs: 5 } });
    expect(m.stateDict().get('neck.lateral_convs.3.conv.weight')!.shape).to.deep.equal([8, 32, 1, 1]);
    expect(m.outputShape()).to.deep.equal([4, 8, 16, 32, 64].map((stride) => ({ channels: 8, stride })));
    expect(m.outputNames()).to.deep.equal([
      'backbone.0', 'backbone.1', 'backbone.2', 'backbone.3',
      'neck.0', 'neck.1', 'neck.2', 'neck.3', 'neck.4',
    ]);
    expect(m.inChannels).to.equal(3);
  });

  it('neck strides follow the backbone (a dilated last stage keeps stride 16)', function () {
    const m = model({
      backbone: { ...tinyResNet, strides: [1, 2, 2, 1], dilations: [1, 1, 1, 2], out_indices: [1, 2, 3] },
      neck: { type: 'FPN', out_channels: 8, num_outs: 4 },
    });
    expect(m.outputShape().map((s) => s.stride)).to.deep.equal([8, 16, 16, 32]);
  });

  it('reports neck in_channels that do not match the backbone at their config path', function () {
    const cfg = { backbone: tinyResNet, neck: { type: 'FPN', in_channels: [256, 512, 1024, 2048], out_channels: 8, num_outs: 5 } };
    expect(() => model(cfg)).to.throw(
      ConfigError,
      /^model\.neck\.in_channels: \[256, 512, 1024, 2048\] does not match the backbone's outputs \[4, 8, 16, 32\]/,
    );
  });

  it('without a neck gives the backbone outputs only', function () {
    const m = model({ backbone: { ...tinyResNet, out_indices: [2, 3], in_channels: 1 } });
    expect(m.outputNames()).to.deep.equal(['backbone.0', 'backbone.1']);
    expect(m.outputShape()).to.deep.equal([{ channels: 16, stride: 16 }, { channels: 32, stride: 32 }]);
    expect(m.inChannels).to.equal(1);
    expect([...m.stateDict().keys()].every((k) => k.startsWith('backbone.'))).to.equal(true);
  });

  it('accepts data_preprocessor and init_cfg; errors inside the parts keep their path', function () {
    const m = model({ backbone: tinyResNet, data_preprocessor: { type: 'DetDataPreprocessor', mean: [0, 0, 0], std: [1, 2, 4] }, init_cfg: null });
    expect(m.dataPreprocessor).to.be.instanceOf(DetDataPreprocessor);
    expect(() => model({ backbone: tinyResNet, data_preprocessor: { type: 'DetDataPreprocessor', mean: [0, 0, 0] } })).to.throw(
      ConfigError,
      /^model\.data_preprocessor\.std: mean and std are given together or not at all/,
    );
    expect(() => model({ backbone: { ...tinyResNet, depth: 20 } })).to.throw(ConfigError, /^model\.backbone\.depth: /);
    expect(() => model({ backbone: tinyResNet, neck: { type: 'FPN', out_channels: 8, num_outs: 2 } })).to.throw(ConfigError, /^model\.neck\.num_outs: /);
    expect(() => model({ backbone: tinyResNet, head: {} })).to.throw(ConfigError, /FeaturePyramid has no option 'head'/);
  });

  for (const [file, type, depth, channels] of [
    ['resnet50-fpn', 'ResNet', 50, [32, 64, 128, 256]],
    ['resnet101-fpn', 'ResNet', 101, [32, 64, 128, 256]],
    ['resnext101-64x4d-fpn', 'ResNeXt', 101, [32, 64, 128, 256]],
  ] as const) {
    it(`configs/resnet/${file}.json builds (at base_channels 8) with FPN inputs from the backbone`, function () {
      const { config } = loadConfig(path.join(CONFIGS, 'resnet', `${file}.json`));
      expect(config.input_shape).to.deep.equal([3, 800, 1216]);
      const cfg = config.model as { backbone: Record<string, unknown>; neck: Record<string, unknown> };
      expect([cfg.backbone.type, cfg.backbone.depth, cfg.backbone.frozen_stages]).to.deep.equal([type, depth, 1]);
      expect(cfg.neck).to.deep.equal({ type: 'FPN', out_channels: 256, num_outs: 5 });
      const small = { ...cfg, backbone: { ...cfg.backbone, base_channels: 8, ...(type === 'ResNeXt' ? { groups: 4 } : {}) }, neck: { ...cfg.neck, out_channels: 8 } };
      const m = build(MODELS, small) as FeaturePyramid;
      expect((m.neck as unknown as { inChannels: number[] }).inChannels).to.deep.equal(channels);
      expect(m.outputShape().map((s) => s.stride)).to.deep.equal([4, 8, 16, 32, 64]);
      const frozen = [...m.namedParameters()].filter(([, p]) => !p.requiresGrad).map(([k]) => k);
      expect(frozen).to.include.members(['backbone.conv1.weight', 'backbone.layer1.2.conv3.weight']);
      expect(frozen.some((k) => k.startsWith('backbone.layer2.'))).to.equal(false);
    });
  }
});

describe('FeaturePyramid: checkpoints', function () {
  it('loads a detector checkpoint strictly: backbone.* and neck.* load, head keys are ignored', async function () {
    const f = await readRefs('resnet18_fpn.safetensors');
    const m = build(MODELS, JSON.parse(f.metadata.config)) as FeaturePyramid;
    const report = m.loadStateDict(weights(f, ''), { strict: true }) as FeaturePyramidLoadReport;
    expect(report.missing).to.deep.equal([]);
    expect(report.mismatched).to.deep.equal([]);
    expect(report.ignored).to.deep.equal(['rpn_head.rpn_conv.weight', 'rpn_head.rpn_conv.bias']);
    expect(report.unexpected).to.deep.equal(report.ignored);
    const sd = m.stateDict();
    const loaded = sd.get('neck.fpn_convs.2.conv.bias')!.data as Float32Array;
    expect(Array.from(loaded)).to.deep.equal(Array.from(tensor(f, 'neck.fpn_convs.2.conv.bias').data as Float32Array));
  });

  it('a strict load still fails on missing backbone keys', async function () {
    const f = await readRefs('resnet18_fpn.safetensors');
    const m = build(MODELS, JSON.parse(f.metadata.config)) as FeaturePyramid;
    const dict = weights(f, '');
    dict.delete('backbone.layer4.1.bn2.running_var');
    expect(() => m.loadStateDict(dict, { strict: true })).to.throw(/missing keys \(1\): backbone\.layer4\.1\.bn2\.running_var/);
  });

  it("maps torchvision's classification layout (conv1.*, layer1.*, fc.*) under backbone.", async function () {
    const f = await readRefs('resnet18_fpn.safetensors');
    const m = build(MODELS, JSON.parse(f.metadata.config)) as FeaturePyramid;
    const rules = m.officialKeyMap();
    expect(rules).to.deep.include({ from: 'layer4.', to: 'backbone.layer4.' });
    const tv: StateDict = weights(f, 'backbone.');
    tv.set('fc.weight', tensor(f, 'rpn_head.rpn_conv.bias'));
    const mapped: StateDict = new Map();
    for (const [k, v] of tv) {
      const r = rules.find((x) => k.startsWith(x.from));
      mapped.set(r ? r.to + k.slice(r.from.length) : k, v);
    }
    const report = m.loadStateDict(mapped) as FeaturePyramidLoadReport;
    expect(report.ignored).to.deep.equal(['fc.weight']);
    expect(report.missing.every((k) => k.startsWith('neck.'))).to.equal(true);
    expect(report.missing.length).to.equal(16);
  });
});

describeOnBackends('FeaturePyramid: forward matches PyTorch', (h) => {
  it('ResNet-18 + FPN from a detector checkpoint: backbone.i and neck.i', async function () {
    const f = await readRefs('resnet18_fpn.safetensors');
    const m = build(MODELS, JSON.parse(f.metadata.config)) as FeaturePyramid;
    m.loadStateDict(weights(f, ''), { strict: true });
    m.eval();
    const outs = h.run(() => [...m.forward(h.engine.constant(tensor(f, 'input')))].map(([k, t]) => [k, h.read(t)] as const));
    expect(outs.map(([k]) => k)).to.deep.equal(m.outputNames());
    for (const [k, t] of outs) expectClose(t, tensor(f, k), k);
  });
});

describeOnBackends('FeaturePyramid: HRNetV2p from an mmdetection Faster R-CNN checkpoint', (h) => {
  it('loads det/faster_rcnn_tiny strictly (heads ignored) and reproduces its neck.0..4', async function () {
    const dir = path.join(sharedFixtures(), 'det', 'faster_rcnn_tiny');
    const det = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).model;
    const m = build(MODELS, { type: 'FeaturePyramid', backbone: det.backbone, neck: det.neck }) as FeaturePyramid;
    const { stateDict } = await loadCheckpoint(path.join(dir, 'state_dict.pth'));
    const report = m.loadStateDict(stateDict, { strict: true }) as FeaturePyramidLoadReport;
    expect(report.missing).to.deep.equal([]);
    expect(report.ignored.length).to.be.greaterThan(0);
    expect(report.ignored.every((k) => k.startsWith('rpn_head.') || k.startsWith('roi_head.'))).to.equal(true);
    m.eval();
    const io = await readSafetensors(path.join(dir, 'io.safetensors'));
    const input = io.tensors.get('input')!;
    const outs = h.run(() => [...m.forward(h.engine.constant(input))].map(([k, t]) => [k, h.read(t)] as const));
    const neck = outs.filter(([k]) => k.startsWith('neck.'));
    expect(neck.map(([k]) => k)).to.deep.equal(['neck.0', 'neck.1', 'neck.2', 'neck.3', 'neck.4']);
    for (const [k, t] of neck) expectClose(t, io.tensors.get(k)!, k);
    expect(m.outputShape().map((s) => s.stride)).to.deep.equal([4, 8, 16, 32, 64]);
  });
});

describe('FeaturePyramid: ONNX export', function () {
  const cases: [string, (cfg: Record<string, unknown>) => Record<string, unknown>, string, (name: string) => string][] = [
    ['ResNet-18 + FPN', (cfg) => cfg, '', (name) => name],
    ['ResNet-50 caffe, deep stem, avg_down, dilated (no neck)', (cfg) => ({ type: 'FeaturePyramid', backbone: cfg }), 'backbone.', (name) => name.replace('backbone.', 'out.')],
  ];
  const files = ['resnet18_fpn.safetensors', 'resnet50_caffe_deep_stem.safetensors'];
  cases.forEach(([what, modelCfg, prefix, refName], i) => {
    it(`${what}: onnxruntime runs the traced graph (dynamic batch, height, width) as PyTorch`, async function () {
      const f = await readRefs(files[i]);
      const m = build(MODELS, modelCfg(JSON.parse(f.metadata.config))) as FeaturePyramid;
      const sd: StateDict = new Map([...weights(f, '')].map(([k, v]) => [prefix + k, v]));
      m.loadStateDict(sd);
      m.eval();
      const input = { name: 'input', value: tensor(f, 'input'), symbols: ['batch', null, 'height', 'width'] };
      const traced = await traceOps((x) => [...m.forward(x).values()], [input]);
      try {
        const outs = await runTraced(traced, [input]);
        expect(outs.length).to.equal(m.outputNames().length);
        m.outputNames().forEach((name, k) => expectClose(outs[k], tensor(f, refName(name)), `onnx ${name}`));
      } finally {
        await traced.model.dispose();
      }
    });
  });
});
