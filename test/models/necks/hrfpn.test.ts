import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { HostTensor } from '../../../src/core/host-tensor';
import { loadCheckpoint } from '../../../src/io/checkpoint';
import { build } from '../../../src/registry/container';
import { NECKS } from '../../../src/registry/registries';
import { HRFPN } from '../../../src/models/necks/hrfpn';
import '../../../src/components';
import { buildModel } from '../../../src/apis/build-model';
import { describeOnBackends } from '../../core/helpers/backends';
import { CHECKPOINTS, expectNear, fixtureConfig, readOwnRef, readTensors, SHARED_HRNET, type OwnRef, withPrefix } from '../../fixtures/hrnet/helpers';

function buildHRFPN(cfg: unknown): HRFPN {
  return build(NECKS, cfg, { path: 'model.neck' }) as HRFPN;
}

describe('HRFPN: mmdetection fixture mmdet_tiny (AVG pooling, 5 levels)', function () {
  const cfg = fixtureConfig('mmdet_tiny');
  const necks = new Map<string, HRFPN>();
  let io: Map<string, HostTensor>;
  let inter: Map<string, HostTensor>;

  before(async function () {
    io = await readTensors(join(SHARED_HRNET, 'mmdet_tiny/io.safetensors'));
    inter = await readTensors(join(SHARED_HRNET, 'mmdet_tiny/intermediates.safetensors'));
    for (const file of CHECKPOINTS) {
      const neck = buildHRFPN(cfg.neck).eval();
      neck.loadStateDict(withPrefix((await loadCheckpoint(join(SHARED_HRNET, 'mmdet_tiny', file))).stateDict, 'neck.'), { strict: true });
      necks.set(file, neck);
    }
  });

  it('has exactly the reference state_dict entries and declares its levels', function () {
    const expected = readFileSync(join(SHARED_HRNET, 'mmdet_tiny/keys.txt'), 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('neck.'));
    const got = [...buildHRFPN(cfg.neck).namedState('neck')].map(([k, p]) => `${k} ${p.dtype} [${p.shape.join(',')}]`);
    expect(got).to.deep.equal(expected);
    expect(necks.get('state_dict.pth')!.outputShape()).to.deep.equal([4, 8, 16, 32, 64].map((stride) => ({ channels: 32, stride })));
  });

  describeOnBackends('forward on the reference backbone outputs', (h) => {
    for (const file of CHECKPOINTS) {
      it(`reproduces the pyramid and the reduction conv (${file})`, function () {
        const got = h.run(() => {
          const xs = [0, 1, 2, 3].map((i) => h.engine.constant(io.get(`backbone.${i}`)!));
          return new Map([...necks.get(file)!.forwardIntermediates(xs)].map(([k, v]) => [k, h.read(v)]));
        });
        for (let k = 0; k < 5; k++) expectNear(got.get(`neck.${k}`)!, io.get(`neck.${k}`)!, `neck.${k}`);
        expectNear(got.get('neck.reduction_conv')!, inter.get('neck.reduction_conv')!, 'neck.reduction_conv');
      });
    }
  });
});

describe('HRFPN: own PyTorch reference (MAX pooling, stride-2 output convs, 4 levels, batch 2)', function () {
  let ref: OwnRef;
  let neck: HRFPN;

  before(async function () {
    ref = await readOwnRef('hrfpn_max');
    neck = buildHRFPN(ref.config).eval();
    neck.loadStateDict(ref.state, { strict: true });
  });

  describeOnBackends('forward', (h) => {
    it('matches the float64 reference', function () {
      const outs = h.run(() => neck.forward([0, 1, 2, 3].map((i) => h.engine.constant(ref.tensors.get(`input.${i}`)!))).map((t) => h.read(t)));
      expect(outs.length).to.equal(4);
      outs.forEach((t, k) => expectNear(t, ref.tensors.get(`neck.${k}`)!, `neck.${k}`));
    });
  });

  it('refuses unknown pooling types with the config path', function () {
    expect(() => buildHRFPN({ ...ref.config, pooling_type: 'LP' })).to.throw(/^model\.neck\.pooling_type: expected one of "AVG", "MAX"/);
  });
});

describe('HRFPN: on top of a backbone', function () {
  const backbone = {
    type: 'HRNet',
    extra: {
      stage1: { num_modules: 1, num_branches: 1, block: 'BOTTLENECK', num_blocks: [1], num_channels: [8] },
      stage2: { num_modules: 1, num_branches: 2, block: 'BASIC', num_blocks: [1, 1], num_channels: [4, 8] },
      stage3: { num_modules: 1, num_branches: 3, block: 'BASIC', num_blocks: [1, 1, 1], num_channels: [4, 8, 16] },
      stage4: { num_modules: 1, num_branches: 4, block: 'BASIC', num_blocks: [1, 1, 1, 1], num_channels: [4, 8, 16, 32] },
    },
  };

  it('takes its input widths and strides from the backbone; a mismatch names neck.in_channels', async function () {
    const { model } = await buildModel({ model: { type: 'FeaturePyramid', backbone, neck: { type: 'HRFPN', out_channels: 8, num_outs: 5 } } });
    const neck = (model as unknown as { neck: HRFPN }).neck;
    expect(neck.inChannels).to.deep.equal([4, 8, 16, 32]);
    expect(neck.outputShape().map((s) => s.stride)).to.deep.equal([4, 8, 16, 32, 64]);
    try {
      await buildModel({ model: { type: 'FeaturePyramid', backbone, neck: { type: 'HRFPN', in_channels: [4, 8, 16, 16], out_channels: 8 } } });
      expect.fail('should be refused');
    } catch (e) {
      expect((e as Error).message).to.match(/^model\.neck\.in_channels: /);
    }
  });
});
