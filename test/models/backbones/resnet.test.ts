import { initWeights } from '../../../src/nn/init/init-cfg';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResNet } from '../../../src/models/backbones/resnet';
import { BatchNorm2d } from '../../../src/nn/batch-norm2d';
import { ConfigError } from '../../../src/core/errors';
import { build } from '../../../src/registry/container';
import { BACKBONES } from '../../../src/registry/registries';
import { describeOnBackends } from '../../core/helpers/backends';
import { expectClose, readRefs, RESNET_FIXTURES, tensor, weights, type RefFile } from '../../fixtures/resnet/refs';
import { expectedParams, stateLayout } from './resnet-params';

interface TorchvisionKeys {
  models: Record<string, { num_parameters: number; state: [string, number[]][] }>;
}
const torchvision: TorchvisionKeys = JSON.parse(fs.readFileSync(path.join(RESNET_FIXTURES, 'torchvision_keys.json'), 'utf8'));

describe('ResNet: structure', function () {
  // torchvision's resnet parameter counts minus the classifier (fc): 1000 x (512|2048) + 1000
  const known: [number, number][] = [
    [18, 11_176_512],
    [34, 21_284_672],
    [50, 23_508_032],
    [101, 42_500_160],
    [152, 58_143_808],
  ];
  const full = new Map<number, ResNet>();
  const fullSize = (depth: number) => full.get(depth) ?? full.set(depth, new ResNet({ depth })).get(depth)!;

  it('the architecture formula gives the well-known parameter counts', function () {
    for (const [depth, n] of known) expect(expectedParams(depth), `ResNet-${depth}`).to.equal(n);
  });

  for (const [depth, n] of known) {
    it(`ResNet-${depth} builds every stage as the formula says (base 8); ${n.toLocaleString('en')} at full width`, function () {
      expect(new ResNet({ depth, base_channels: 8 }).numParameters()).to.equal(expectedParams(depth, 8));
      if (depth === 18 || depth === 50) expect(fullSize(depth).numParameters()).to.equal(n);
    });
  }

  for (const name of ['resnet18', 'resnet50']) {
    it(`${name} keys, order and shapes equal torchvision's (without fc)`, function () {
      const ref = torchvision.models[name];
      const m = fullSize(Number(name.slice(6)));
      expect(stateLayout(m)).to.deep.equal(ref.state);
      expect(m.numParameters()).to.equal(ref.num_parameters);
    });
  }

  it('declares channels and strides of the requested stages, finest first', function () {
    expect(fullSize(50).outputShape()).to.deep.equal([
      { channels: 256, stride: 4 },
      { channels: 512, stride: 8 },
      { channels: 1024, stride: 16 },
      { channels: 2048, stride: 32 },
    ]);
    const dilated = new ResNet({ depth: 18, base_channels: 16, strides: [1, 2, 2, 1], dilations: [1, 1, 1, 2], out_indices: [3, 1] });
    expect(dilated.outputShape()).to.deep.equal([
      { channels: 32, stride: 8 },
      { channels: 128, stride: 16 },
    ]);
  });

  it('names the shortcut downsample.0/1, or downsample.1/2 behind the avg_down pool', function () {
    const keys = [...new ResNet({ depth: 50, base_channels: 4 }).stateDict().keys()];
    expect(keys).to.include.members(['layer1.0.downsample.0.weight', 'layer1.0.downsample.1.running_var', 'layer4.0.downsample.1.weight']);
    const avg = [...new ResNet({ depth: 50, base_channels: 4, avg_down: true }).stateDict().keys()];
    expect(avg).to.include.members(['layer2.0.downsample.1.weight', 'layer2.0.downsample.2.weight']);
    expect(avg).not.to.include('layer2.0.downsample.0.weight');
  });

  it('deep_stem replaces conv1/bn1 with stem.0..stem.7', function () {
    const keys = [...new ResNet({ depth: 18, base_channels: 8, deep_stem: true }).stateDict().keys()];
    expect(keys.slice(0, 3)).to.deep.equal(['stem.0.weight', 'stem.1.weight', 'stem.1.bias']);
    expect(keys).to.include.members(['stem.3.weight', 'stem.4.running_mean', 'stem.6.weight', 'stem.7.num_batches_tracked']);
    expect(keys).not.to.include('conv1.weight');
  });

  it('puts the stride on the 3x3 conv (pytorch) or on the first 1x1 (caffe)', function () {
    const py = new ResNet({ depth: 50, base_channels: 4 });
    const caffe = new ResNet({ depth: 50, base_channels: 4, style: 'caffe' });
    const block = (m: ResNet) => m.child('layer2')!.child('0')! as unknown as { conv1: { stride: number }; conv2: { stride: number } };
    expect([block(py).conv1.stride, block(py).conv2.stride]).to.deep.equal([1, 2]);
    expect([block(caffe).conv1.stride, block(caffe).conv2.stride]).to.deep.equal([2, 1]);
  });

  it('zero-initialises the last norm of every block unless zero_init_residual is false', async function () {
    const init = async (m: ResNet) => (await initWeights(m), m);
    const bn3 = (m: ResNet) => m.stateDict().get('layer3.1.bn3.weight')!.data as Float32Array;
    expect(Array.from(bn3(await init(new ResNet({ depth: 50, base_channels: 4 })))).every((v) => v === 0)).to.equal(true);
    expect(Array.from(bn3(await init(new ResNet({ depth: 50, base_channels: 4, zero_init_residual: false })))).every((v) => v === 1)).to.equal(true);
    const bn2 = (await init(new ResNet({ depth: 18, base_channels: 4 }))).stateDict().get('layer1.0.bn2.weight')!.data as Float32Array;
    expect(Array.from(bn2).every((v) => v === 0)).to.equal(true);
  });

  it('frozen_stages freezes the stem and the first stages and keeps their BN in eval mode', function () {
    const m = new ResNet({ depth: 18, base_channels: 4, frozen_stages: 2, norm_eval: false }).train();
    const grads = new Map([...m.namedParameters()].map(([k, p]) => [k, p.requiresGrad]));
    expect(grads.get('conv1.weight')).to.equal(false);
    expect(grads.get('bn1.weight')).to.equal(false);
    expect(grads.get('layer2.1.conv2.weight')).to.equal(false);
    expect(grads.get('layer3.0.conv1.weight')).to.equal(true);
    const modes = new Map([...m.namedModules()].filter(([, x]) => x instanceof BatchNorm2d).map(([k, x]) => [k, x.training]));
    expect(modes.get('bn1')).to.equal(false);
    expect(modes.get('layer2.0.downsample.1')).to.equal(false);
    expect(modes.get('layer3.0.bn1')).to.equal(true);
    // stem conv + bn1; layer1: two blocks of two 4->4 3x3 convs + BNs; layer2: 4->8 block with shortcut, 8->8 block
    const stem = 4 * 3 * 7 * 7 + 2 * 4;
    const layer1 = 2 * (2 * (4 * 4 * 9) + 2 * (2 * 4));
    const layer2 = 8 * 4 * 9 + 8 * 8 * 9 + 2 * (2 * 8) + (8 * 4 + 2 * 8) + 2 * (8 * 8 * 9) + 2 * (2 * 8);
    const frozen = stem + layer1 + layer2;
    expect(m.numParameters() - m.numParameters(true)).to.equal(frozen);
  });

  it('norm_eval keeps every BN in eval mode while training', function () {
    const m = new ResNet({ depth: 18, base_channels: 4 }).train();
    const bns = [...m.namedModules()].filter(([, x]) => x instanceof BatchNorm2d);
    expect(bns.length).to.equal(20);
    expect(bns.every(([, x]) => !x.training)).to.equal(true);
    expect(m.training).to.equal(true);
  });
});

describe('ResNet: config errors', function () {
  const cfg = (extra: Record<string, unknown>) => ({ type: 'ResNet', depth: 50, ...extra });
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown depth', { depth: 42 }, /model\.backbone\.depth: expected one of 18, 34, 50, 101, 152, got 42/],
    ['dcn', { dcn: { type: 'DCNv2', deform_groups: 1 } }, /model\.backbone\.dcn: deformable convolution .* not supported/],
    ['plugins', { plugins: [{ cfg: { type: 'ContextBlock' } }] }, /model\.backbone\.plugins: .*not supported/],
    ['strides of the wrong length', { strides: [1, 2, 2] }, /model\.backbone\.strides: needs one value per stage \(num_stages=4\), got 3/],
    ['an out_index past the last stage', { num_stages: 3, out_indices: [0, 3] }, /model\.backbone\.out_indices: stage index 3 is out of range 0\.\.2/],
    ['frozen_stages past the last stage', { frozen_stages: 5 }, /model\.backbone\.frozen_stages: expected -1\.\.4, got 5/],
    ['a bad style', { style: 'tf' }, /model\.backbone\.style: expected one of "pytorch", "caffe"/],
    ['an unknown option', { depht: 50 }, /model\.backbone: ResNet has no option 'depht'/],
    ['pretrained', { pretrained: 'torchvision://resnet50' }, /model\.backbone\.pretrained: .*init_cfg/],
  ];
  for (const [what, extra, message] of cases) {
    it(`rejects ${what}`, function () {
      expect(() => build(BACKBONES, cfg(extra), { path: 'model.backbone' })).to.throw(ConfigError, message);
    });
  }

  it('accepts with_cp, stage_with_dcn without dcn, and init_cfg', function () {
    const m = build(BACKBONES, cfg({ depth: 18, base_channels: 4, with_cp: true, stage_with_dcn: [false, false, false, false], init_cfg: { type: 'Pretrained', checkpoint: 'x.pth' } }));
    expect(m).to.be.instanceOf(ResNet);
    expect((m as ResNet).initCfg).to.deep.equal({ type: 'Pretrained', checkpoint: 'x.pth' });
  });
});

/** Build the backbone a reference file describes and load its weights strictly. */
function fromRefs(f: RefFile, cfg: Record<string, unknown>, prefix: string): ResNet {
  const m = build(BACKBONES, cfg) as ResNet;
  m.loadStateDict(weights(f, prefix), { strict: true });
  return m.eval();
}

describeOnBackends('ResNet: forward matches PyTorch', (h) => {
  it('ResNet-18 (basic blocks, stem_channels 8, base 4), batch of 2, odd size', async function () {
    const f = await readRefs('resnet18_fpn.safetensors');
    const cfg = JSON.parse(f.metadata.config).backbone;
    const m = fromRefs(f, cfg, 'backbone.');
    const outs = h.run(() => m.forward(h.engine.constant(tensor(f, 'input'))).map((t) => h.read(t)));
    expect(outs.length).to.equal(4);
    outs.forEach((o, i) => expectClose(o, tensor(f, `backbone.${i}`), `out ${i}`));
  });

  it('ResNet-50 caffe style, deep stem, avg_down, dilated last stage, out_indices [1, 3]', async function () {
    const f = await readRefs('resnet50_caffe_deep_stem.safetensors');
    const m = fromRefs(f, JSON.parse(f.metadata.config), '');
    const outs = h.run(() => m.forward(h.engine.constant(tensor(f, 'input'))).map((t) => h.read(t)));
    expect(outs.map((o) => o.shape)).to.deep.equal([tensor(f, 'out.0').shape, tensor(f, 'out.1').shape]);
    outs.forEach((o, i) => expectClose(o, tensor(f, `out.${i}`), `out ${i}`));
  });

  it('norm_eval: train mode gives the eval-mode outputs (BN uses running statistics)', async function () {
    const f = await readRefs('resnet50_caffe_deep_stem.safetensors');
    const m = fromRefs(f, JSON.parse(f.metadata.config), '').train();
    const outs = h.run(() => m.forward(h.engine.constant(tensor(f, 'input'))).map((t) => h.read(t)));
    outs.forEach((o, i) => expectClose(o, tensor(f, `out.${i}`), `out ${i}`));
  });
});
