import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { buildModel } from '../../src/apis/build-model';
import { loadConfig } from '../../src/config/load-config';
import { MODELS } from '../../src/registry/registries';
import '../../src/components';

const CONFIGS = join(__dirname, '../../../configs/hrnet');
type Cfg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function load(file: string): Cfg {
  return loadConfig(join(CONFIGS, file)).config as Cfg;
}

/**
 * Parameter counts the HRNet repositories publish (millions, one decimal): deep-high-resolution-net
 * (pose, COCO) and HRNet-Image-Classification (ImageNet). The W32 pose, W18 classification and
 * W48 segmentation counts are checked with the manifests (hrnet-manifests.test.ts).
 */
const PUBLISHED_PARAMS: Record<string, string> = {
  'td-hm_hrnet-w48_8xb32-210e_coco-256x192.json': '63.6',
  'hrnet-w18-small-v1_in1k-224x224.json': '13.2',
  'hrnet-w18-small-v2_in1k-224x224.json': '15.6',
  'hrnet-w32_in1k-224x224.json': '41.2',
  'hrnet-w48_in1k-224x224.json': '77.5',
  'hrnet-w64_in1k-224x224.json': '128.1',
};

describe('shipped HRNet configs (configs/hrnet)', function () {
  this.timeout(60000);
  const files = readdirSync(CONFIGS).filter((f) => f.endsWith('.json')).sort();

  it('every config names a registered model and states the input shape of its published numbers', function () {
    expect(files.length).to.be.at.least(18);
    for (const file of files) {
      const cfg = load(file);
      expect(MODELS.has(cfg.model.type), file).to.equal(true);
      expect(cfg.model.backbone.type, file).to.equal('HRNet');
      expect(cfg.input_shape, file).to.have.length(3);
      expect(cfg.input_shape[0], file).to.equal(3);
    }
    expect(load('td-hm_hrnet-w32_8xb64-210e_coco-384x288.json').input_shape).to.deep.equal([3, 384, 288]);
    expect(load('fcn_hr48_4xb2-80k_cityscapes-512x1024.json').input_shape).to.deep.equal([3, 1024, 2048]);
  });

  it('the widths are HRNet-Wc: stages as W18 with channels c, 2c, 4c, 8c, heads reading those widths', function () {
    const w18 = load('hrnet-w18_in1k-224x224.json');
    for (const c of [30, 32, 40, 44, 48, 64]) {
      const cfg = load(`hrnet-w${c}_in1k-224x224.json`);
      const extra = cfg.model.backbone.extra;
      for (const s of ['stage1', 'stage2', 'stage3', 'stage4']) {
        const { num_channels: ch, ...rest } = extra[s];
        const { num_channels: ch18, ...rest18 } = w18.model.backbone.extra[s];
        expect(rest, `w${c} ${s}`).to.deep.equal(rest18);
        expect(ch, `w${c} ${s}`).to.deep.equal(s === 'stage1' ? ch18 : ch18.map((x: number) => (x / 18) * c));
      }
      expect(cfg.model.head.in_channels).to.deep.equal(extra.stage4.num_channels);
    }
    for (const file of files.filter((f) => f.startsWith('td-hm') || f.startsWith('hrnetv2p'))) {
      const cfg = load(file);
      const ch = cfg.model.backbone.extra.stage4.num_channels;
      if (cfg.model.head) expect(cfg.model.head.in_channels, file).to.equal(ch[0]);
      if (cfg.model.neck) expect(cfg.model.neck.in_channels, file).to.deep.equal(ch);
    }
    // 384x288 is the 256x192 network on a larger crop
    const [a, b] = ['256x192', '384x288'].map((s) => load(`td-hm_hrnet-w32_8xb64-210e_coco-${s}.json`).model);
    expect({ ...a, head: { ...a.head, decoder: null } }).to.deep.equal({ ...b, head: { ...b.head, decoder: null } });
  });

  for (const [file, published] of Object.entries(PUBLISHED_PARAMS)) {
    it(`${file} has the published ${published}M parameters`, async function () {
      const { model } = await buildModel(join(CONFIGS, file));
      expect((model.numParameters() / 1e6).toFixed(1)).to.equal(published);
    });
  }
});
