import { initWeights } from '../../../src/nn/init/init-cfg';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { hostTensor, type HostTensor } from '../../../src/core/host-tensor';
import { BatchNorm2d } from '../../../src/nn/batch-norm2d';
import { loadCheckpoint } from '../../../src/io/checkpoint';
import { build } from '../../../src/registry/container';
import { BACKBONES } from '../../../src/registry/registries';
import { HRNet } from '../../../src/models/backbones/hrnet/hrnet';
import '../../../src/components';
import { describeOnBackends } from '../../core/helpers/backends';
import { CHECKPOINTS, expectNear, fixtureConfig, readOwnRef, readTensors, SHARED_HRNET, type OwnRef, withPrefix } from '../../fixtures/hrnet/helpers';

type Cfg = Record<string, unknown>;

function buildHRNet(cfg: unknown): HRNet {
  return build(BACKBONES, cfg, { path: 'model.backbone' }) as HRNet;
}

const stage = (modules: number, block: string, blocks: number[], channels: number[]) => ({
  num_modules: modules,
  num_branches: channels.length,
  block,
  num_blocks: blocks,
  num_channels: channels,
});

/** A small valid mmdet-vocabulary config to vary in the option tests. */
const small = (): Cfg => ({
  type: 'HRNet',
  extra: {
    stage1: stage(1, 'BOTTLENECK', [1], [8]),
    stage2: stage(1, 'BASIC', [1, 1], [4, 8]),
    stage3: stage(2, 'BASIC', [1, 1, 1], [4, 8, 16]),
    stage4: stage(2, 'BASIC', [1, 1, 1, 1], [4, 8, 16, 32]),
  },
});

describe('HRNet backbone: mmdetection fixture mmdet_tiny', function () {
  const cfg = fixtureConfig('mmdet_tiny');
  const nets = new Map<string, HRNet>();
  let io: Map<string, HostTensor>;
  let inter: Map<string, HostTensor>;

  before(async function () {
    io = await readTensors(join(SHARED_HRNET, 'mmdet_tiny/io.safetensors'));
    inter = await readTensors(join(SHARED_HRNET, 'mmdet_tiny/intermediates.safetensors'));
    for (const file of CHECKPOINTS) {
      const net = buildHRNet(cfg.backbone).eval();
      const { stateDict } = await loadCheckpoint(join(SHARED_HRNET, 'mmdet_tiny', file));
      net.loadStateDict(withPrefix(stateDict, 'backbone.'), { strict: true });
      nets.set(file, net);
    }
  });

  it('has exactly the reference state_dict entries (names, order, dtypes, shapes)', function () {
    const expected = readFileSync(join(SHARED_HRNET, 'mmdet_tiny/keys.txt'), 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('backbone.'));
    const got = [...buildHRNet(cfg.backbone).namedState('backbone')].map(([k, p]) => `${k} ${p.dtype} [${p.shape.join(',')}]`);
    expect(got).to.deep.equal(expected);
  });

  it('declares its four branches (channels, strides 4..32)', function () {
    expect(nets.get('state_dict.pth')!.outputShape()).to.deep.equal([
      { channels: 8, stride: 4 },
      { channels: 16, stride: 8 },
      { channels: 32, stride: 16 },
      { channels: 64, stride: 32 },
    ]);
  });

  describeOnBackends('forward', (h) => {
    for (const file of CHECKPOINTS) {
      it(`reproduces the four branch outputs (${file})`, function () {
        const outs = h.run(() => nets.get(file)!.forward(h.engine.constant(io.get('input')!)).map((t) => h.read(t)));
        outs.forEach((t, i) => expectNear(t, io.get(`backbone.${i}`)!, `backbone.${i}`));
      });
    }

    it('reproduces the intermediate activations (stem, layer1, every stage branch)', function () {
      const got = h.run(() => nets.get('state_dict.pth')!.forwardIntermediates(h.engine.constant(io.get('input')!)));
      for (const [name, ref] of inter) {
        if (name.startsWith('neck.')) continue;
        expectNear(h.read(got.get(name)!), ref, name);
      }
    });
  });
});

describe('HRNet backbone: own PyTorch reference (Bottleneck branches, width-changing transition, 2 modules, batch 2)', function () {
  let ref: OwnRef;
  let net: HRNet;

  before(async function () {
    ref = await readOwnRef('mmdet_bottleneck');
    net = buildHRNet(ref.config).eval();
    net.loadStateDict(ref.state, { strict: true });
  });

  it('has the reference keys in order', function () {
    expect([...net.namedState()].map(([k]) => k)).to.deep.equal([...ref.state.keys()]);
    expect(net.outputShape().map((s) => s.channels)).to.deep.equal([8, 24, 32, 16]);
  });

  describeOnBackends('forward', (h) => {
    it('matches the float64 reference', function () {
      const outs = h.run(() => net.forward(h.engine.constant(ref.tensors.get('input')!)).map((t) => h.read(t)));
      expect(outs.length).to.equal(4);
      outs.forEach((t, i) => expectNear(t, ref.tensors.get(`backbone.${i}`)!, `backbone.${i}`));
    });
  });
});

describe('HRNet backbone: options', function () {
  it('multiscale_output false keeps all branches but fuses the last module into branch 0 only', function () {
    const net = buildHRNet({ ...small(), multiscale_output: false });
    expect(net.outputShape()).to.deep.equal([{ channels: 4, stride: 4 }]);
    const keys = [...net.namedState()].map(([k]) => k);
    expect(keys.some((k) => k.startsWith('stage4.1.branches.3.'))).to.equal(true);
    expect(keys.some((k) => k.startsWith('stage4.1.fuse_layers.1.'))).to.equal(false);
    expect(keys.some((k) => k.startsWith('stage4.0.fuse_layers.3.'))).to.equal(true);
    // mmpose spells it inside stage 4
    const mmpose = small();
    (mmpose.extra as Cfg).stage4 = { ...((mmpose.extra as Cfg).stage4 as Cfg), multiscale_output: false };
    expect(buildHRNet(mmpose).outputShape().length).to.equal(1);
  });

  describeOnBackends('input sizes', (h) => {
    it('nearest fusion also runs where the reference code needs multiples of 32 (exact-size fallback)', function () {
      const net = buildHRNet(small()).eval();
      const x = h.engine.constant(hostTensor('float32', [1, 3, 50, 70], new Float32Array(3 * 50 * 70).fill(0.5)));
      const shapes = h.run(() => net.forward(x).map((t) => [...t.shape]));
      expect(shapes).to.deep.equal([
        [1, 4, 13, 18],
        [1, 8, 7, 9],
        [1, 16, 4, 5],
        [1, 32, 2, 3],
      ]);
    });
  });

  it('reports inconsistent or unknown options with their config path', function () {
    const bad = (patch: (c: Cfg) => void, re: RegExp) => {
      const c = small();
      patch(c);
      expect(() => buildHRNet(c)).to.throw(re);
    };
    bad((c) => (((c.extra as Cfg).stage3 as Cfg).num_channels = [4, 8]), /^model\.backbone\.extra\.stage3\.num_channels: needs one entry per branch/);
    bad((c) => (((c.extra as Cfg).stage2 as Cfg).block = 'BASICX'), /^model\.backbone\.extra\.stage2\.block: expected one of "BASIC", "BOTTLENECK"/);
    bad((c) => delete (c.extra as Cfg).stage4, /^model\.backbone\.extra\.stage4: HRNet needs this option/);
    bad((c) => (c.num_stages = 4), /^model\.backbone: HRNet has no option 'num_stages'/);
    bad((c) => (c.upsample_cfg = { mode: 'bicubic' }), /^model\.backbone\.upsample_cfg\.mode: /);
    // a width change on a branch that is not the last one reads the wrong tensor under mm* semantics
    bad((c) => (((c.extra as Cfg).stage3 as Cfg).num_channels = [6, 8, 16]), /^model\.backbone\.extra\.stage3\.num_channels: branch 0 changes width/);
    const ok = small();
    ((ok.extra as Cfg).stage3 as Cfg).num_channels = [6, 8, 16];
    expect(() => buildHRNet({ ...ok, transition_input: 'same_branch' })).to.not.throw();
  });

  it('norm_eval and frozen_stages keep BatchNorms on running statistics and stop gradients', function () {
    const bns = (net: HRNet, prefix: string) =>
      [...net.namedModules()].filter(([n, m]) => n.startsWith(prefix) && m instanceof BatchNorm2d).map(([, m]) => m as BatchNorm2d);
    const net = buildHRNet({ ...small(), norm_eval: false, frozen_stages: 1 });
    net.train();
    expect(bns(net, 'layer1').every((b) => b.frozen)).to.equal(true);
    expect(bns(net, 'transition1').every((b) => b.frozen)).to.equal(true);
    expect(bns(net, 'stage2').some((b) => b.frozen)).to.equal(false);
    const grads = new Map([...net.namedParameters()].map(([k, p]) => [k, p.requiresGrad]));
    expect(grads.get('conv1.weight')).to.equal(false);
    expect(grads.get('layer1.0.conv1.weight')).to.equal(false);
    expect(grads.get('stage2.0.branches.0.0.conv1.weight')).to.equal(true);
    const evalNorms = buildHRNet(small()).train(); // mmdetection's default norm_eval: true
    expect(bns(evalNorms, '').every((b) => b.frozen)).to.equal(true);
    evalNorms.eval();
    expect(bns(evalNorms, '').some((b) => b.frozen)).to.equal(false);
  });

  it('initWeights: unit norms, zero last norms with zero_init_residual, fan-out Kaiming convs', async function () {
    const net = buildHRNet({ ...small(), zero_init_residual: true });
    await initWeights(net);
    const state = new Map([...net.namedState()]);
    const all = (k: string, v: number) => Array.from(state.get(k)!.data as Float32Array).every((x) => x === v);
    expect(all('layer1.0.bn3.weight', 0)).to.equal(true);
    expect(all('stage2.0.branches.1.0.bn2.weight', 0)).to.equal(true);
    expect(all('stage2.0.branches.1.0.bn1.weight', 1)).to.equal(true);
    expect(all('bn1.weight', 1)).to.equal(true);
    const w = state.get('conv2.weight')!.data as Float32Array; // fan_out = 64 * 9
    const std = Math.sqrt(w.reduce((a, x) => a + x * x, 0) / w.length);
    expect(std).to.be.closeTo(Math.sqrt(2 / (64 * 9)), 0.006);
  });
});
