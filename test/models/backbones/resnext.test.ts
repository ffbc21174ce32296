import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResNeXt } from '../../../src/models/backbones/resnext';
import { ConfigError } from '../../../src/core/errors';
import { build } from '../../../src/registry/container';
import { BACKBONES } from '../../../src/registry/registries';
import { describeOnBackends } from '../../core/helpers/backends';
import { expectClose, readRefs, RESNET_FIXTURES, tensor, weights } from '../../fixtures/resnet/refs';
import { expectedParams, stateLayout } from './resnet-params';

const torchvision = JSON.parse(fs.readFileSync(path.join(RESNET_FIXTURES, 'torchvision_keys.json'), 'utf8'));

describe('ResNeXt: structure', function () {
  it('ResNeXt-101 64x4d: 81,406,272 parameters, keys and shapes of torchvision resnext101_64x4d (without fc)', function () {
    const ref = torchvision.models.resnext101_64x4d;
    // the formula with Xie et al.'s grouped width gives torchvision's count
    expect(expectedParams(101, 64, 64, 4)).to.equal(81_406_272);
    expect(ref.num_parameters).to.equal(81_406_272);
    const m = new ResNeXt({ depth: 101, groups: 64, base_width: 4 });
    expect(m.numParameters()).to.equal(81_406_272);
    expect(stateLayout(m)).to.deep.equal(ref.state);
  });

  it('grouped width is floor(planes * base_width / base_channels) * groups (mmdet)', function () {
    // 32x4d at base 64: stage 1 width 4 * 32 = 128; base 48 -> floor(48 * 4 / 48) * 32 = 128, stage 2 floor(96 * 4 / 48) * 32 = 256
    const m = new ResNeXt({ depth: 50, groups: 32, base_width: 4, base_channels: 48, num_stages: 2, out_indices: [0, 1] });
    const sd = m.stateDict();
    expect(sd.get('layer1.0.conv2.weight')!.shape).to.deep.equal([128, 4, 3, 3]);
    expect(sd.get('layer2.0.conv1.weight')!.shape).to.deep.equal([256, 192, 1, 1]);
    expect(sd.get('layer2.0.conv3.weight')!.shape).to.deep.equal([384, 256, 1, 1]);
    // base_width 3 at base 64, stage 1: floor(64 * 3 / 64) = 3 per group; stage 2: floor(128 * 3 / 64) = 6
    const odd = new ResNeXt({ depth: 50, groups: 8, base_width: 3, num_stages: 2, out_indices: [1] }).stateDict();
    expect(odd.get('layer1.2.conv2.weight')!.shape).to.deep.equal([24, 3, 3, 3]);
    expect(odd.get('layer2.0.conv2.weight')!.shape).to.deep.equal([48, 6, 3, 3]);
  });

  it('builds from a config and rejects depths without bottlenecks', function () {
    const m = build(BACKBONES, { type: 'ResNeXt', depth: 50, groups: 4, base_width: 2, base_channels: 8 });
    expect(m).to.be.instanceOf(ResNeXt);
    expect(() => build(BACKBONES, { type: 'ResNeXt', depth: 18, groups: 4 }, { path: 'model.backbone' })).to.throw(
      ConfigError,
      /model\.backbone\.depth: ResNeXt is defined for depths 50, 101, 152, got 18/,
    );
    expect(() => build(BACKBONES, { type: 'ResNeXt', depth: 50, group: 4 }, { path: 'model.backbone' })).to.throw(ConfigError, /has no option 'group'/);
  });
});

describeOnBackends('ResNeXt: forward matches PyTorch', (h) => {
  it('ResNeXt-50 (groups 4, base_width 2, base 8), two stages', async function () {
    const f = await readRefs('resnext50_small.safetensors');
    const m = build(BACKBONES, JSON.parse(f.metadata.config)) as ResNeXt;
    m.loadStateDict(weights(f, ''), { strict: true });
    m.eval();
    const outs = h.run(() => m.forward(h.engine.constant(tensor(f, 'input'))).map((t) => h.read(t)));
    expect(outs.length).to.equal(2);
    outs.forEach((o, i) => expectClose(o, tensor(f, `out.${i}`), `out ${i}`));
  });
});
