import { initWeights } from '../../src/nn/init/init-cfg';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ConfigError } from '../../src/core/errors';
import { hostTensor } from '../../src/core/host-tensor';
import { applyInitCfg, type InitCfg } from '../../src/nn/init/init-cfg';
import { Module, type StateDict } from '../../src/core/module';
import type { Parameter } from '../../src/core/parameter';
import { seed } from '../../src/core/random';
import { BatchNorm2d } from '../../src/nn/batch-norm2d';
import { ModuleList, Sequential } from '../../src/nn/containers';
import { Conv2d } from '../../src/nn/conv2d';
import { ConvModule } from '../../src/nn/conv-module';
import { GroupNorm } from '../../src/nn/group-norm';
import { Linear } from '../../src/nn/linear';
import { Bottleneck } from '../../src/nn/blocks/bottleneck';
import { HRNet } from '../../src/models/backbones/hrnet/hrnet';
import { HRFPN } from '../../src/models/necks/hrfpn';
import { buildModel } from '../../src/apis/build-model';
import { loadCheckpoint } from '../../src/io/checkpoint';
import { writeSafetensors } from '../../src/io/safetensors';
import { build, createContainer } from '../../src/registry/container';
import { BACKBONES, MODELS } from '../../src/registry/registries';
import { SilentLogger } from '../../src/registry/services';
import type { FeaturePyramid } from '../../src/models/feature-pyramid';
import type { EncoderDecoder } from '../../src/models/segmentors/encoder-decoder';
import '../../src/components';
import { sharedFixtures } from '../fixture-root';

const values = (p: Parameter | null | undefined) => Array.from(p!.data as Float32Array);
const all = (p: Parameter | null | undefined, v: number) => values(p).every((x) => x === v);

function stats(p: Parameter) {
  const d = values(p);
  const mean = d.reduce((a, x) => a + x, 0) / d.length;
  const std = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / d.length);
  return { mean, std, min: d.reduce((a, x) => Math.min(a, x), Infinity), max: d.reduce((a, x) => Math.max(a, x), -Infinity) };
}

const fileReader = async (f: string) => (await loadCheckpoint(f)).stateDict;

/** One of each layer kind `layer` can select, plus containers and a subclass. */
class MyConv extends Conv2d {}
class Net extends Module {
  readonly conv = this.addModule('conv', new Conv2d(64, 128, 3));
  readonly bn = this.addModule('bn', new BatchNorm2d(8));
  readonly gn = this.addModule('gn', new GroupNorm(2, 8));
  readonly fc = this.addModule('fc', new Linear(512, 256));
  readonly block = this.addModule('block', new ConvModule(4, 4, 3, { normCfg: { type: 'BN' } }));
  readonly mine = this.addModule('mine', new MyConv(2, 2, 1));
}

describe('core: init_cfg', () => {
  let logger: SilentLogger;
  beforeEach(() => {
    seed(20240611);
    logger = new SilentLogger();
  });
  const apply = (m: Module, cfg: unknown) => applyInitCfg(m, cfg, { logger, loadCheckpoint: fileReader });

  describe('initialisers: statistics on large tensors (sampling error well inside the tolerances)', () => {
    // conv weight [128, 64, 3, 3]: fan_in 576, fan_out 1152, 73728 values; fc weight [256, 512]: 131072 values
    it('Kaiming defaults: normal, fan_out, relu: std sqrt(2 / fan_out), bias 0', async () => {
      const net = new Net();
      await apply(net, { type: 'Kaiming', layer: 'Conv2d' });
      const s = stats(net.conv.weight);
      expect(s.std).to.be.closeTo(Math.sqrt(2 / 1152), 0.02 * Math.sqrt(2 / 1152));
      expect(s.mean).to.be.closeTo(0, 0.02 * s.std);
      expect(all(net.conv.bias, 0)).to.equal(true);
    });

    it('Kaiming uniform, fan_in, leaky_relu a=0.1: bound sqrt(3) * sqrt(2 / (1 + a^2)) / sqrt(fan_in)', async () => {
      const net = new Net();
      await apply(net, { type: 'Kaiming', layer: 'Conv2d', mode: 'fan_in', nonlinearity: 'leaky_relu', a: 0.1, distribution: 'uniform' });
      const bound = Math.sqrt(3) * Math.sqrt(2 / 1.01) / Math.sqrt(576);
      const s = stats(net.conv.weight);
      expect(s.min).to.be.at.least(-bound);
      expect(s.max).to.be.at.most(bound);
      expect(s.max).to.be.above(0.99 * bound);
      expect(s.std).to.be.closeTo(bound / Math.sqrt(3), 0.02 * bound);
    });

    it('Caffe2Xavier: kaiming-uniform with a = 1 on fan_in: bound sqrt(3 / fan_in)', async () => {
      const net = new Net();
      await apply(net, { type: 'Caffe2Xavier', layer: 'Conv2d', bias: 0.5 });
      const bound = Math.sqrt(3 / 576);
      const s = stats(net.conv.weight);
      expect(s.max).to.be.at.most(bound).and.above(0.99 * bound);
      expect(s.min).to.be.at.least(-bound).and.below(-0.99 * bound);
      expect(all(net.conv.bias, 0.5)).to.equal(true);
    });

    it('Xavier: normal std gain * sqrt(2 / (fan_in + fan_out)); uniform bound sqrt(3) times that', async () => {
      const net = new Net();
      await apply(net, { type: 'Xavier', layer: 'Linear', gain: 2 });
      expect(stats(net.fc.weight).std).to.be.closeTo(2 * Math.sqrt(2 / 768), 0.02 * 2 * Math.sqrt(2 / 768));
      await apply(net, { type: 'Xavier', layer: 'Linear', distribution: 'uniform' });
      const bound = Math.sqrt(6 / 768);
      const s = stats(net.fc.weight);
      expect(s.max).to.be.at.most(bound).and.above(0.99 * bound);
      expect(s.std).to.be.closeTo(bound / Math.sqrt(3), 0.02 * bound);
    });

    it('Normal(mean, std)', async () => {
      const net = new Net();
      await apply(net, { type: 'Normal', layer: 'Linear', mean: 0.5, std: 0.02 });
      const s = stats(net.fc.weight);
      expect(s.mean).to.be.closeTo(0.5, 0.0005);
      expect(s.std).to.be.closeTo(0.02, 0.0004);
    });

    it('TruncNormal(0, 1, a = -1, b = 2): moments of the truncated normal, nothing outside [a, b]', async () => {
      const net = new Net();
      await apply(net, { type: 'TruncNormal', layer: 'Linear', a: -1, b: 2 });
      // Phi(2) - Phi(-1) and phi(-1), phi(2), from tables
      const z = 0.9772498680518208 - 0.15865525393145707;
      const [pa, pb] = [0.24197072451914337, 0.05399096651318806];
      const mean = (pa - pb) / z;
      const variance = 1 + (-1 * pa - 2 * pb) / z - mean * mean;
      const s = stats(net.fc.weight);
      expect(s.min).to.be.at.least(-1);
      expect(s.max).to.be.at.most(2);
      expect(s.mean).to.be.closeTo(mean, 0.01);
      expect(s.std).to.be.closeTo(Math.sqrt(variance), 0.01);
    });

    it('Uniform(a, b): mean (a + b) / 2, std (b - a) / sqrt(12), inside [a, b]', async () => {
      const net = new Net();
      await apply(net, { type: 'Uniform', layer: 'Linear', a: -0.3, b: 0.7 });
      const s = stats(net.fc.weight);
      expect(s.min).to.be.at.least(-0.3);
      expect(s.max).to.be.at.most(0.7);
      expect(s.mean).to.be.closeTo(0.2, 0.005);
      expect(s.std).to.be.closeTo(1 / Math.sqrt(12), 0.005);
    });

    it('Constant(val, bias) and bias_prob: bias = -log((1 - p) / p)', async () => {
      const net = new Net();
      await apply(net, { type: 'Constant', layer: 'Linear', val: 3, bias: 2 });
      expect(all(net.fc.weight, 3) && all(net.fc.bias, 2)).to.equal(true);
      await apply(net, { type: 'Normal', layer: 'Linear', std: 0.01, bias_prob: 0.01 });
      expect(values(net.fc.bias)[0]).to.be.closeTo(-Math.log(99), 1e-6);
      expect(all(net.fc.bias, values(net.fc.bias)[0])).to.equal(true);
    });
  });

  describe('selection', () => {
    it("layer matches the PyTorch class name or a direct base ('_BatchNorm', '_ConvNd'), and subclasses by their parent", async () => {
      const net = new Net();
      await apply(net, { type: 'Constant', val: 2, bias: 1, layer: '_BatchNorm' });
      expect(all(net.bn.weight, 2) && all(net.bn.bias, 1)).to.equal(true);
      expect(all(net.block.norm!.ownParameter('weight'), 2)).to.equal(true);
      expect(all(net.gn.weight, 1)).to.equal(true);
      await apply(net, { type: 'Constant', val: 3, layer: ['Conv2d', 'Linear'] });
      for (const p of [net.conv.weight, net.fc.weight, net.block.conv.weight, net.mine.weight]) expect(all(p, 3)).to.equal(true);
      await apply(net, { type: 'Constant', val: 4, layer: '_ConvNd' });
      expect(all(net.conv.weight, 4) && all(net.block.conv.weight, 4) && all(net.fc.weight, 3)).to.equal(true);
      await apply(net, { type: 'Constant', val: 5, layer: 'GroupNorm' });
      expect(all(net.gn.weight, 5) && all(net.bn.weight, 2)).to.equal(true);
      expect(logger.messages).to.deep.equal([]);
    });

    it('warns about a layer name that matches nothing and is no known layer, and about entries that select nothing', async () => {
      const net = new Net();
      await apply(net, [{ type: 'Constant', val: 9, layer: 'Conv2D' }, { type: 'Constant', val: 9 }]);
      expect(all(net.conv.weight, 9)).to.equal(false);
      expect(logger.messages).to.have.length(2);
      expect(logger.messages[0]).to.match(/^warning: model\.init_cfg\.0: layer 'Conv2D' matches no layer in model; did you mean 'Conv2d'\?$/);
      expect(logger.messages[1]).to.match(/^warning: model\.init_cfg\.1: Constant has neither 'layer' nor 'override'/);
    });

    it('override initialises the whole named child, with its own initialiser or (name only) the entry\'s', async () => {
      const net = new Net();
      await apply(net, { type: 'Normal', std: 0.01, layer: 'Conv2d', override: { name: 'fc', type: 'Constant', val: 0, bias: -1 } });
      expect(all(net.fc.weight, 0) && all(net.fc.bias, -1)).to.equal(true);
      expect(stats(net.conv.weight).std).to.be.closeTo(0.01, 0.001);
      await apply(net, { type: 'Constant', val: 4, bias: 1, layer: 'Linear', override: [{ name: 'block' }] });
      // the whole ConvModule: its conv (no bias next to a norm) and its BN, weight and bias
      expect(all(net.block.conv.weight, 4) && all(net.block.norm!.ownParameter('weight'), 4)).to.equal(true);
      expect(all(net.block.norm!.ownParameter('bias'), 1) && all(net.fc.weight, 4)).to.equal(true);
      expect(all(net.conv.weight, 4)).to.equal(false);
    });

    it("override names a child or the property an mm* class exposes it as (Bottleneck's norm3 is bn3)", async () => {
      const b = new Bottleneck(16, 4);
      await apply(b, { type: 'Constant', val: 0, override: { name: 'norm3' } });
      expect(all(b.child('bn3')!.ownParameter('weight'), 0) && all(b.child('bn3')!.ownParameter('bias'), 0)).to.equal(true);
      expect(all(b.child('bn2')!.ownParameter('weight'), 1)).to.equal(true);
    });

    it('a list applies in order: the later entry wins', async () => {
      const net = new Net();
      await apply(net, [{ type: 'Constant', val: 1, layer: 'Conv2d' }, { type: 'Constant', val: 2, layer: 'Conv2d' }]);
      expect(all(net.conv.weight, 2)).to.equal(true);
    });

    it('refuses fan-based initialisers on 1-D weights and overrides of missing children, naming the config path', async () => {
      const net = new Net();
      let err = await apply(net, { type: 'Kaiming', layer: 'Linear', override: { name: 'block', type: 'Kaiming' } }).catch((e) => e);
      expect(err).to.be.instanceOf(ConfigError);
      expect(err.message).to.equal(
        "model.init_cfg.override: Kaiming cannot initialise 'model.block.bn.weight' of shape [4]: fan-in and fan-out need at least 2 dimensions (select layers with 'layer')",
      );
      err = await apply(net, { type: 'Constant', val: 0, override: { name: 'fcc' } }).catch((e) => e);
      expect(err).to.be.instanceOf(ConfigError);
      expect(err.message).to.match(/^model\.init_cfg\.override\.name: Net has no child 'fcc'; did you mean 'fc'\? \(children: conv, bn, gn, fc, block, mine\)$/);
    });
  });

  describe('initWeights: mmengine order', () => {
    /** A component (it has init_weights): a conv of its own; records what it sees in defaultInit. */
    class Part extends Module {
      readonly conv = this.addModule('conv', new Conv2d(2, 2, 1));
      seen: number[] = [];
      override defaultInit(): void {
        this.seen = values(this.conv.weight);
      }
    }
    class Parent extends Part {
      readonly sub = this.addModule('child', new Part());
      readonly hidden = this.addModule('hidden', new Sequential(new Part() as never));
      readonly cm = this.addModule('cm', new ConvModule(2, 2, 1));
      readonly listed = this.addModule('listed', new ModuleList([new ConvModule(2, 2, 1)]));
    }
    const hiddenPart = (p: Parent) => p.hidden.at(0) as unknown as Part;

    it('parent init_cfg, then children with init_weights (their init_cfg wins), then defaultInit; plain containers are not entered', async () => {
      const p = new Parent();
      p.initCfg = { type: 'Constant', val: 1, layer: 'Conv2d' };
      p.sub.initCfg = { type: 'Constant', val: 2, layer: 'Conv2d' };
      hiddenPart(p).initCfg = { type: 'Constant', val: 3, layer: 'Conv2d' };
      await initWeights(p, { logger });
      expect(all(p.conv.weight, 1)).to.equal(true);
      expect(all(p.sub.conv.weight, 2)).to.equal(true);
      // nn.Sequential / nn.ModuleList have no init_weights: their contents keep the parent's init
      expect(all(hiddenPart(p).conv.weight, 1)).to.equal(true);
      expect(all((p.listed.at(0) as ConvModule).conv.weight, 1)).to.equal(true);
      // a direct ConvModule child runs mmcv's Kaiming init after the parent's entry
      expect(all(p.cm.conv.weight, 1)).to.equal(false);
      // the parent's defaultInit saw its own entry applied; the child's saw its own init_cfg
      expect(p.seen).to.deep.equal([1, 1, 1, 1]);
      expect(p.sub.seen).to.deep.equal([2, 2, 2, 2]);
    });

    it('Pretrained entries run last, after children and defaultInit, wherever they are listed', async () => {
      const p = new Parent();
      const ckpt: StateDict = new Map([
        ['net.conv.weight', hostTensor('float32', [2, 2, 1, 1], Float32Array.of(5, 6, 7, 8))],
        ['net.child.conv.weight', hostTensor('float32', [2, 2, 1, 1], Float32Array.of(9, 9, 9, 9))],
      ]);
      const read: string[] = [];
      p.initCfg = [{ type: 'Pretrained', checkpoint: 'in-memory', prefix: 'net' }, { type: 'Constant', val: 1, layer: 'Conv2d' }];
      p.sub.initCfg = { type: 'Constant', val: 2, layer: 'Conv2d' };
      await initWeights(p, { logger, loadCheckpoint: async (f) => (read.push(f), ckpt) });
      expect(read).to.deep.equal(['in-memory']);
      expect(values(p.conv.weight)).to.deep.equal([5, 6, 7, 8]);
      expect(all(p.sub.conv.weight, 9)).to.equal(true);
      expect(p.seen).to.deep.equal([1, 1, 1, 1]);
      expect(all(p.cm.conv.weight, 1)).to.equal(false);
      expect(logger.messages[0]).to.equal("model: loaded 2 tensors from 'net.*' of in-memory");
      expect(logger.messages[1]).to.match(/^warning: model: error\(s\) in loading state_dict: missing keys \(\d+\): conv\.bias, child\.conv\.bias, /);
    });

    it('validates init_cfg set in code when it runs', async () => {
      const p = new Parent();
      p.sub.initCfg = { type: 'Xavier', layer: 'Conv2d', distribution: 'gauss' } as never;
      const err = await initWeights(p).catch((e) => e);
      expect(err).to.be.instanceOf(ConfigError);
      expect(err.message).to.equal('model.child.init_cfg.distribution: expected one of "normal", "uniform", got "gauss"');
    });

    it("HRFPN as in mmdet: Caffe2Xavier on its convs, then mmcv's Kaiming on the direct reduction_conv only", async () => {
      const neck = new HRFPN({ in_channels: [8, 16, 32, 64], out_channels: 32, num_outs: 2, pooling_type: 'AVG', with_cp: false, stride: 1 });
      await initWeights(neck);
      const bound = Math.sqrt(3 / (32 * 9));
      for (const m of neck.fpnConvs) {
        expect(stats(m.conv.weight).max).to.be.at.most(bound);
        expect(all(m.conv.bias, 0)).to.equal(true);
      }
      // Kaiming normal, fan_out 32: std 0.25, far beyond Caffe2Xavier's bound sqrt(3 / 120)
      const r = stats(neck.reductionConv.conv.weight);
      expect(r.max).to.be.above(Math.sqrt(3 / 120));
      expect(r.std).to.be.closeTo(0.25, 0.02);
    });
  });

  describe('Pretrained', () => {
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), 'hrdet-init-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    class Small extends Module {
      readonly conv = this.addModule('conv', new Conv2d(2, 3, 1));
      readonly bn = this.addModule('bn', new BatchNorm2d(3));
    }
    const w = Float32Array.from({ length: 6 }, (_, i) => i / 10);
    const b = Float32Array.of(-1, -2, -3);

    async function checkpoint(): Promise<string> {
      const file = join(dir, 'det.safetensors');
      await writeSafetensors(file, {
        'backbone.conv.weight': hostTensor('float32', [3, 2, 1, 1], w),
        'backbone.conv.bias': hostTensor('float32', [3], b),
        'neck.conv.weight': hostTensor('float32', [1, 1, 1, 1], Float32Array.of(7)),
      });
      return file;
    }

    it("with prefix: loads the keys under it, prefix removed, and reports what was missing", async () => {
      const file = await checkpoint();
      const m = new Small();
      await apply(m, { type: 'Pretrained', checkpoint: file, prefix: 'backbone.' });
      expect(values(m.conv.weight)).to.deep.equal(Array.from(w));
      expect(values(m.conv.bias)).to.deep.equal(Array.from(b));
      expect(logger.messages[0]).to.equal(`model: loaded 2 tensors from 'backbone.*' of ${file}`);
      expect(logger.messages[1]).to.equal(
        'warning: model: error(s) in loading state_dict: missing keys (5): bn.weight, bn.bias, bn.running_mean, bn.running_var, bn.num_batches_tracked',
      );
    });

    it('without prefix: a non-strict load that reports unexpected keys; a prefix no key has is an error', async () => {
      const file = await checkpoint();
      const m = new Small();
      await apply(m, { type: 'Pretrained', checkpoint: file });
      expect(all(m.conv.bias, -1)).to.equal(false);
      expect(logger.messages[1]).to.match(/^warning: model: error\(s\) in loading state_dict: missing keys \(7\): .*; unexpected keys \(3\): /);
      for (const k of ['backbone.conv.weight', 'backbone.conv.bias', 'neck.conv.weight']) expect(logger.messages[1]).to.include(k);
      const err = await apply(m, { type: 'Pretrained', checkpoint: file, prefix: 'head' }).catch((e) => e);
      expect(err).to.be.instanceOf(ConfigError);
      expect(err.message).to.match(/^model\.init_cfg\.prefix: no key of .*det\.safetensors starts with 'head\.' \(its first keys: '(backbone|neck)\.conv\./);
    });

    it('needs checkpoint I/O passed in, and names the config path when a file cannot be read', async () => {
      const m = new Small();
      let err = await applyInitCfg(m, { type: 'Pretrained', checkpoint: 'x.pth' }).catch((e) => e);
      expect(err).to.be.instanceOf(ConfigError);
      expect(err.message).to.match(/^model\.init_cfg\.checkpoint: reading 'x\.pth' needs checkpoint I\/O/);
      err = await apply(m, [{ type: 'Kaiming', layer: 'Conv2d' }, { type: 'Pretrained', checkpoint: join(dir, 'none.pth') }]).catch((e) => e);
      expect(err).to.be.instanceOf(ConfigError);
      expect(err.message).to.match(/^model\.init_cfg\.1\.checkpoint: .*none\.pth/);
      expect(err.message).not.to.include('\n');
    });

    it("an mmdet detector .pth with prefix 'backbone.' sets every tensor of an HRNet backbone", async () => {
      const root = join(sharedFixtures(), 'hrnet', 'mmdet_tiny');
      const cfg = JSON.parse(readFileSync(join(root, 'config.json'), 'utf8')) as { backbone: Record<string, unknown> };
      const file = join(root, 'state_dict.pth');
      const net = build(BACKBONES, { ...cfg.backbone, init_cfg: { type: 'Pretrained', checkpoint: file, prefix: 'backbone.' } }, { path: 'model.backbone' }) as HRNet;
      await initWeights(net, { logger, loadCheckpoint: fileReader, path: 'model.backbone' });
      const ref = (await loadCheckpoint(file)).stateDict;
      const own = net.stateDict();
      expect(own.size).to.equal([...ref.keys()].filter((k) => k.startsWith('backbone.')).length);
      for (const [k, t] of own) {
        expect(Array.from(t.data as ArrayLike<number | bigint>), k).to.deep.equal(Array.from(ref.get(`backbone.${k}`)!.data as ArrayLike<number | bigint>));
      }
      expect(logger.messages).to.deep.equal([`model.backbone: loaded ${own.size} tensors from 'backbone.*' of ${file}`]);
    });
  });

  describe('components and buildModel', () => {
    const tiny = (backbone: Record<string, unknown> = {}) => ({
      model: {
        type: 'FeaturePyramid',
        backbone: { type: 'ResNet', depth: 18, base_channels: 4, ...backbone },
        neck: { type: 'FPN', out_channels: 4, num_outs: 4 },
      },
    });

    it("buildModel runs initWeights: ResNet's Kaiming, unit norms and zeroed last norms; FPN's Xavier-uniform convs", async () => {
      const { model } = await buildModel(tiny(), { container: createContainer({ logger }) });
      const fp = model as FeaturePyramid;
      const state = new Map([...fp.namedState()]);
      expect(all(state.get('backbone.layer1.0.bn2.weight'), 0) && all(state.get('backbone.layer1.0.bn2.bias'), 0)).to.equal(true);
      expect(all(state.get('backbone.layer1.0.bn1.weight'), 1) && all(state.get('backbone.bn1.weight'), 1)).to.equal(true);
      const lateral = state.get('neck.lateral_convs.0.conv.weight')!; // [4, 4, 1, 1]: xavier bound sqrt(6 / 8)
      expect(Math.max(...values(lateral).map(Math.abs))).to.be.at.most(Math.sqrt(6 / 8));
      expect(all(state.get('neck.fpn_convs.0.conv.bias'), 0)).to.equal(true);
      expect(logger.messages).to.deep.equal([]);
    });

    it('buildModel with initWeights: false draws nothing', async () => {
      const { model } = await buildModel(tiny(), { container: createContainer({ logger }), initWeights: false });
      expect(all(new Map([...model.namedState()]).get('neck.fpn_convs.0.conv.weight'), 0)).to.equal(true);
    });

    it('Pretrained goes through the bound CheckpointIO; unreadable files and URLs are config errors of the model', async () => {
      const asked: string[] = [];
      const ckpt: StateDict = new Map([['conv1.weight', hostTensor('float32', [4, 3, 7, 7], new Float32Array(4 * 3 * 49).fill(0.5))]]);
      const container = createContainer({ logger, checkpointIO: { loadStateDict: async (f) => (asked.push(f), ckpt) } });
      const init: InitCfg = { type: 'Pretrained', checkpoint: 'r18.pth' };
      const { model } = await buildModel(tiny({ init_cfg: init }), { container });
      expect(asked).to.deep.equal(['r18.pth']);
      expect(all(new Map([...model.namedState()]).get('backbone.conv1.weight'), 0.5)).to.equal(true);
      const quiet = createContainer({ logger });
      let err = await buildModel(tiny({ init_cfg: { type: 'Pretrained', checkpoint: '/nonexistent/r18.pth' } }), { container: quiet }).catch((e) => e);
      expect(err).to.be.instanceOf(ConfigError);
      expect(err.message).to.match(/^model\.backbone\.init_cfg\.checkpoint: \/nonexistent\/r18\.pth: /);
      err = await buildModel(tiny({ init_cfg: { type: 'Pretrained', checkpoint: 'torchvision://resnet18' } }), { container: quiet }).catch((e) => e);
      expect(err.message).to.equal(
        'model.backbone.init_cfg.checkpoint: torchvision://resnet18: hrdet reads local checkpoint files only: download it and set the checkpoint to the local path',
      );
    });

    it('HRNet: pretrained becomes a Pretrained init_cfg and an explicit init_cfg replaces the defaults', () => {
      const extra = (n: number) => ({ num_modules: 1, num_branches: n, block: 'BASIC', num_blocks: Array(n).fill(1), num_channels: Array(n).fill(4) });
      const cfg = { type: 'HRNet', extra: { stage1: { ...extra(1), block: 'BOTTLENECK' }, stage2: extra(2), stage3: extra(3), stage4: extra(4) } };
      expect((build(BACKBONES, { ...cfg, pretrained: 'w.pth' }) as HRNet).initCfg).to.deep.equal({ type: 'Pretrained', checkpoint: 'w.pth' });
      expect((build(BACKBONES, cfg) as HRNet).initCfg).to.deep.equal([
        { type: 'Kaiming', layer: 'Conv2d' },
        { type: 'Constant', val: 1, layer: ['_BatchNorm', 'GroupNorm'] },
      ]);
      const both = () => build(BACKBONES, { ...cfg, pretrained: 'w.pth', init_cfg: { type: 'Kaiming', layer: 'Conv2d' } }, { path: 'model.backbone' });
      expect(both).to.throw(ConfigError, /^model\.backbone\.pretrained: init_cfg and pretrained cannot both be set/);
    });
  });

  describe('models: pretrained shorthands', () => {
    const branch = (n: number) => ({ num_modules: 1, num_branches: n, block: 'BASIC', num_blocks: Array(n).fill(1), num_channels: Array(n).fill(4) });
    const hrnet = { type: 'HRNet', extra: { stage1: { ...branch(1), block: 'BOTTLENECK' }, stage2: branch(2), stage3: branch(3), stage4: branch(4) } };
    const segmentor = (extra: Record<string, unknown>) => ({
      type: 'EncoderDecoder',
      backbone: hrnet,
      decode_head: { type: 'FCNHead', in_channels: 4, channels: 4, num_classes: 2, num_convs: 1, concat_input: false },
      ...extra,
    });

    it("EncoderDecoder: mmseg's pretrained is the backbone's Pretrained init_cfg; the decode head keeps mmseg's default", () => {
      const m = build(MODELS, segmentor({ pretrained: 'hrnetv2.pth' })) as EncoderDecoder;
      expect(m.backbone.initCfg).to.deep.equal({ type: 'Pretrained', checkpoint: 'hrnetv2.pth' });
      expect(m.initCfg).to.equal(null);
      expect(m.head.initCfg).to.deep.equal({ type: 'Normal', std: 0.01, override: { name: 'conv_seg' } });
      const both = () => build(MODELS, segmentor({ pretrained: 'a.pth', backbone: { ...hrnet, init_cfg: { type: 'Pretrained', checkpoint: 'b.pth' } } }));
      expect(both).to.throw(ConfigError, /^model\.pretrained: the backbone sets its own pretrained weights/);
    });

    it("ImageClassifier: mmpretrain's pretrained is a Pretrained init_cfg of the whole model", () => {
      const head = { type: 'HRNetClsHead', in_channels: [4, 4, 4, 4], head_channels: [2, 2, 2, 2], final_channels: 8, num_classes: 3 };
      const m = build(MODELS, { type: 'ImageClassifier', backbone: hrnet, head, pretrained: 'cls.pth' });
      expect(m.initCfg).to.deep.equal({ type: 'Pretrained', checkpoint: 'cls.pth' });
      const both = () => build(MODELS, { type: 'ImageClassifier', backbone: hrnet, head, pretrained: 'cls.pth', init_cfg: [] });
      expect(both).to.throw(ConfigError, /^model\.pretrained: init_cfg and pretrained cannot both be set/);
    });
  });

  describe('bad init_cfg: one-line ConfigErrors naming the config path', () => {
    const cases: [string, unknown, RegExp][] = [
      ['an unknown type, with a suggestion', { type: 'Kaimng' }, /^model\.backbone\.init_cfg\.type: unknown init type 'Kaimng'; did you mean 'Kaiming'\? \(one of Constant, Xavier, /],
      ['an unknown type inside a list', [{ type: 'Kaiming', layer: 'Conv2d' }, { type: 'Normall' }], /^model\.backbone\.init_cfg\.1\.type: unknown init type 'Normall'; did you mean 'Normal'\?/],
      ['an unknown option', { type: 'Normal', stdd: 0.1 }, /^model\.backbone\.init_cfg: Normal init has no option 'stdd' \(did you mean 'std'\?\); its options: mean, std, bias, bias_prob, layer, override$/],
      ['a value of the wrong type', { type: 'Normal', layer: 'Conv2d', std: 'big' }, /^model\.backbone\.init_cfg\.std: expected number, got string$/],
      ['a bad enum value', { type: 'Kaiming', mode: 'fan_avg' }, /^model\.backbone\.init_cfg\.mode: expected one of "fan_in", "fan_out", got "fan_avg"$/],
      ['a missing required option', { type: 'Constant', layer: 'Conv2d' }, /^model\.backbone\.init_cfg\.val: Constant init needs this option \(number\)$/],
      ['a missing type', { layer: 'Conv2d' }, /^model\.backbone\.init_cfg: an init_cfg entry needs a 'type': one of Constant, /],
      ['an override without a name', { type: 'Normal', override: { type: 'Constant', val: 0 } }, /^model\.backbone\.init_cfg\.override\.name: an override needs the 'name' of a child/],
      ['an override with options but no type', { type: 'Normal', override: { name: 'fc', std: 1 } }, /^model\.backbone\.init_cfg\.override: an override that sets 'std' needs a 'type'/],
      ['a bias_prob outside (0, 1)', { type: 'Normal', layer: 'Conv2d', bias_prob: 2 }, /^model\.backbone\.init_cfg\.bias_prob: must be a probability between 0 and 1/],
      ['a bad layer value', { type: 'Normal', layer: 3 }, /^model\.backbone\.init_cfg\.layer: expected a layer class name or a list of them/],
      ['Uniform with b below a', { type: 'Uniform', layer: 'Conv2d', a: 1, b: 0 }, /^model\.backbone\.init_cfg\.b: the upper bound must not be below a = 1, got 0$/],
      ['Pretrained with a layer', { type: 'Pretrained', checkpoint: 'x.pth', layer: 'Conv2d' }, /^model\.backbone\.init_cfg: Pretrained init has no option 'layer'; its options: checkpoint, prefix, map_location$/],
      ['Pretrained without a checkpoint', { type: 'Pretrained' }, /^model\.backbone\.init_cfg\.checkpoint: Pretrained init needs this option \(string\)$/],
      ['a string instead of an entry', 'Kaiming', /^model\.backbone\.init_cfg: expected an init_cfg entry such as \{type: 'Kaiming', layer: 'Conv2d'\}, got 'Kaiming'$/],
    ];
    for (const [what, init, message] of cases) {
      it(`rejects ${what}`, () => {
        let err: unknown;
        try {
          build(BACKBONES, { type: 'ResNet', depth: 18, base_channels: 4, init_cfg: init }, { path: 'model.backbone' });
        } catch (e) {
          err = e;
        }
        expect(err).to.be.instanceOf(ConfigError);
        expect((err as Error).message).to.match(message);
        expect((err as Error).message).not.to.include('\n');
      });
    }

    it('accepts null (mmdet configs write init_cfg=None) and every type with its defaults', () => {
      const types: InitCfg[] = [
        { type: 'Constant', val: 1, layer: 'Conv2d' },
        { type: 'Xavier', layer: 'Conv2d' },
        { type: 'Normal', layer: 'Conv2d' },
        { type: 'TruncNormal', layer: 'Conv2d' },
        { type: 'Uniform', layer: 'Conv2d' },
        { type: 'Kaiming', layer: 'Conv2d' },
        { type: 'Caffe2Xavier', layer: 'Conv2d' },
        { type: 'Pretrained', checkpoint: 'x.pth', prefix: null, map_location: 'cpu' },
      ];
      for (const init_cfg of [null, types]) {
        expect(() => build(BACKBONES, { type: 'ResNet', depth: 18, base_channels: 4, init_cfg })).not.to.throw();
      }
    });
  });
});
