import { expect } from 'chai';
import '../../../src/models/necks/fpn';
import type { FPN } from '../../../src/models/necks/fpn';
import { ConfigError } from '../../../src/core/errors';
import { hostTensor } from '../../../src/core/host-tensor';
import { build } from '../../../src/registry/container';
import { NECKS } from '../../../src/registry/registries';
import { describeOnBackends } from '../../core/helpers/backends';
import { expectClose, readRefs, tensor, weights } from '../../fixtures/resnet/refs';

const neck = (cfg: Record<string, unknown>) => build(NECKS, { type: 'FPN', ...cfg }, { path: 'model.neck' }) as FPN;
const C = [256, 512, 1024, 2048];

describe('FPN: structure', function () {
  it('has mmdetection keys: lateral_convs.i.conv, fpn_convs.i.conv (with bias, no norm by default)', function () {
    const keys = [...neck({ in_channels: [4, 8, 16, 32], out_channels: 8, num_outs: 5 }).stateDict().keys()];
    expect(keys).to.deep.equal([
      ...[0, 1, 2, 3].flatMap((i) => [`lateral_convs.${i}.conv.weight`, `lateral_convs.${i}.conv.bias`]),
      ...[0, 1, 2, 3].flatMap((i) => [`fpn_convs.${i}.conv.weight`, `fpn_convs.${i}.conv.bias`]),
    ]);
  });

  it('extra convs continue fpn_convs: on_input reads the last used input, later ones out_channels', function () {
    const c = [8, 16, 32, 64];
    const sd = neck({ in_channels: c, out_channels: 4, num_outs: 5, start_level: 1, add_extra_convs: 'on_input' }).stateDict();
    expect(sd.get('lateral_convs.0.conv.weight')!.shape).to.deep.equal([4, 16, 1, 1]);
    expect(sd.has('lateral_convs.3.conv.weight')).to.equal(false);
    expect(sd.get('fpn_convs.3.conv.weight')!.shape).to.deep.equal([4, 64, 3, 3]);
    expect(sd.get('fpn_convs.4.conv.weight')!.shape).to.deep.equal([4, 4, 3, 3]);
    const t = neck({ in_channels: c, out_channels: 4, num_outs: 5, add_extra_convs: true }).stateDict();
    expect(t.get('fpn_convs.4.conv.weight')!.shape).to.deep.equal([4, 64, 3, 3]);
    const out = neck({ in_channels: c, out_channels: 4, num_outs: 5, add_extra_convs: 'on_output' }).stateDict();
    expect(out.get('fpn_convs.4.conv.weight')!.shape).to.deep.equal([4, 4, 3, 3]);
  });

  it('with a norm: no conv bias, bn keys; no_norm_on_lateral keeps lateral biases', function () {
    const keys = [...neck({ in_channels: [4, 8], out_channels: 8, num_outs: 2, norm_cfg: { type: 'BN' }, no_norm_on_lateral: true }).stateDict().keys()];
    expect(keys).to.include.members(['lateral_convs.0.conv.bias', 'fpn_convs.0.conv.weight', 'fpn_convs.0.bn.running_var']);
    expect(keys).not.to.include('fpn_convs.0.conv.bias');
    expect(keys).not.to.include('lateral_convs.0.bn.weight');
  });

  it('parameter count of the ResNet-50 FPN (256 channels, 5 levels)', function () {
    // laterals: 1x1 convs with bias; outputs: four 3x3 256->256 convs with bias; P6 is a max pool
    const lateral = C.reduce((n, c) => n + c * 256 + 256, 0);
    const outputs = 4 * (256 * 256 * 9 + 256);
    expect(neck({ in_channels: C, out_channels: 256, num_outs: 5 }).numParameters()).to.equal(lateral + outputs);
    expect(lateral + outputs).to.equal(3_344_384);
  });

  it('output strides follow the inputs (C2..C5 by default, or what the backbone declares)', function () {
    const c = [8, 16, 32, 64];
    const fpn = neck({ in_channels: c, out_channels: 4, num_outs: 5, start_level: 1, add_extra_convs: 'on_input' });
    expect(fpn.outputShape().map((s) => s.stride)).to.deep.equal([8, 16, 32, 64, 128]);
    fpn.setInputShape(c.map((channels, i) => ({ channels, stride: 2 ** (i + 3) })));
    expect(fpn.outputShape()).to.deep.equal([16, 32, 64, 128, 256].map((stride) => ({ channels: 4, stride })));
    expect(() => fpn.setInputShape([{ channels: 8, stride: 4 }])).to.throw(ConfigError, /in_channels: the FPN takes \[8, 16, 32, 64\] but its inputs have \[8\]/);
  });
});

describe('FPN: config errors', function () {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['too few outputs', { in_channels: C, out_channels: 8, num_outs: 3 }, /model\.neck\.num_outs: must be at least the number of used inputs \(4\), got 3/],
    ['extra levels with an end_level', { in_channels: C, out_channels: 8, num_outs: 4, end_level: 2 }, /model\.neck\.num_outs: must equal end_level - start_level \+ 1 = 3/],
    ['an end_level past the inputs', { in_channels: C, out_channels: 8, num_outs: 5, end_level: 7 }, /model\.neck\.end_level: expected -1 or 0\.\.3, got 7/],
    ['a start_level past the inputs', { in_channels: C, out_channels: 8, num_outs: 5, start_level: 4 }, /model\.neck\.start_level/],
    ['an unknown extra-conv source', { in_channels: C, out_channels: 8, num_outs: 5, add_extra_convs: 'on_top' }, /model\.neck\.add_extra_convs/],
    ['an upsample size', { in_channels: C, out_channels: 8, num_outs: 5, upsample_cfg: { mode: 'nearest', size: 8 } }, /model\.neck\.upsample_cfg: FPN has no option 'size'/],
    ['an unsupported activation', { in_channels: C, out_channels: 8, num_outs: 5, act_cfg: { type: 'GELU' } }, /model\.neck\.act_cfg\.type: FPN supports 'ReLU', 'Sigmoid' or null, got 'GELU'/],
    ['missing in_channels', { out_channels: 8, num_outs: 5 }, /model\.neck\.in_channels: FPN needs this option/],
  ];
  for (const [what, cfg, message] of cases) {
    it(`rejects ${what}`, function () {
      expect(() => neck(cfg)).to.throw(ConfigError, message);
    });
  }
});

describeOnBackends('FPN: forward matches PyTorch', (h) => {
  const variants = ['fpn_on_input', 'fpn_on_output_relu', 'fpn_on_lateral_norm', 'fpn_end_level', 'fpn_scale_factor'];
  for (const name of variants) {
    it(name, async function () {
      const f = await readRefs('fpn_variants.safetensors');
      const cfg = JSON.parse(f.metadata.configs)[name];
      const fpn = build(NECKS, cfg) as FPN;
      fpn.loadStateDict(weights(f, `${name}.`), { strict: true });
      fpn.eval();
      const inputPrefix = name === 'fpn_scale_factor' ? `${name}.input.` : 'input.';
      const inputs = cfg.in_channels.map((_: number, i: number) => tensor(f, `${inputPrefix}${i}`));
      const outs = h.run(() => fpn.forward(inputs.map((t: ReturnType<typeof tensor>) => h.engine.constant(t))).map((t) => h.read(t)));
      expect(outs.length).to.equal(cfg.num_outs);
      outs.forEach((o, i) => expectClose(o, tensor(f, `${name}.out.${i}`), `level ${i}`));
    });
  }

  it('the extra max-pool level subsamples the last output (kernel 1, stride 2)', async function () {
    const f = await readRefs('resnet18_fpn.safetensors');
    const fpn = build(NECKS, JSON.parse(f.metadata.config).neck) as FPN;
    fpn.loadStateDict(weights(f, 'neck.'), { strict: true });
    const feats = [0, 1, 2, 3].map((i) => tensor(f, `backbone.${i}`));
    const outs = h.run(() => fpn.forward(feats.map((t) => h.engine.constant(t))).map((t) => h.read(t)));
    expect(outs.map((o) => o.shape)).to.deep.equal([0, 1, 2, 3, 4].map((i) => tensor(f, `neck.${i}`).shape));
    outs.forEach((o, i) => expectClose(o, tensor(f, `neck.${i}`), `level ${i}`));
  });

  it('a scale_factor that misses the next level size is reported', function () {
    const fpn = neck({ in_channels: [2, 2], out_channels: 2, num_outs: 2, upsample_cfg: { scale_factor: 2 } });
    const x = (hh: number, w: number) => h.engine.constant(hostTensor('float32', [1, 2, hh, w]));
    expect(() => h.run(() => fpn.forward([x(5, 6), x(3, 3)]))).to.throw(/scale_factor 2 turns a 3x3 level into 6x6, but the next finer level is 5x6/);
  });
});
