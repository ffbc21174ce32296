import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sharedFixtures } from '../fixture-root';
import { hrdet, hrdetAsync, pool, shippedConfigs, type CliResult } from './run-cli';

/**
 * Published complexity of the HRNet models, as printed in the papers and the official
 * repositories (params in M = 1e6; "GFLOPs" = multiply-accumulates in units of 2^30):
 * deep-high-resolution-net.pytorch (pose), HRNet-Semantic-Segmentation (seg),
 * HRNet-Image-Classification (cls). Compared at the published precision.
 */
const PUBLISHED: { config: string; params?: string; gflops?: string }[] = [
  { config: 'configs/hrnet/td-hm_hrnet-w32_8xb64-210e_coco-256x192.json', params: '28.5', gflops: '7.1' },
  { config: 'configs/hrnet/td-hm_hrnet-w32_8xb64-210e_coco-384x288.json', params: '28.5', gflops: '16.0' },
  { config: 'configs/hrnet/td-hm_hrnet-w48_8xb32-210e_coco-256x192.json', params: '63.6', gflops: '14.6' },
  { config: 'configs/hrnet/td-hm_hrnet-w48_8xb32-210e_coco-384x288.json', params: '63.6', gflops: '32.9' },
  { config: 'configs/hrnet/seg-hrnet-w48_official_cityscapes-1024x2048.json', params: '65.9' },
  { config: 'configs/hrnet/hrnet-w18_in1k-224x224.json', params: '21.3', gflops: '3.99' },
  { config: 'configs/hrnet/hrnet-w32_in1k-224x224.json', params: '41.2', gflops: '8.31' },
  { config: 'configs/hrnet/hrnet-w48_in1k-224x224.json', params: '77.5', gflops: '16.1' },
  { config: 'configs/hrnet/hrnet-w64_in1k-224x224.json', params: '128.1', gflops: '26.9' },
];

/**
 * State-dict manifests of the official models (shared fixtures, hrnet/manifests: `key [shape]` per
 * line): their parameters, buffers excluded, are the exact count the analysis must give.
 */
const MANIFESTS: { config: string; manifest: string }[] = [
  { config: 'configs/hrnet/td-hm_hrnet-w32_8xb64-210e_coco-256x192.json', manifest: 'pose_hrnet_w32_256x192.txt' },
  { config: 'configs/hrnet/hrnet-w18_in1k-224x224.json', manifest: 'cls_hrnet_w18.txt' },
  { config: 'configs/hrnet/seg-hrnet-w48_official_cityscapes-1024x2048.json', manifest: 'seg_hrnet_w48_cityscapes.txt' },
  { config: 'configs/hrnet/hrnetv2p-w32-hrfpn.json', manifest: 'mmdet_hrnetv2p_w32_hrfpn.txt' },
];

function manifestParams(file: string): number {
  let n = 0;
  for (const line of fs.readFileSync(path.join(sharedFixtures(), 'hrnet', 'manifests', file), 'utf8').split('\n')) {
    const m = /^(\S+)\s.*\[([\d,\s]*)\]\s*$/.exec(line);
    if (!m || /(running_mean|running_var|num_batches_tracked)$/.test(m[1])) continue;
    n += m[2].split(',').filter((d) => d.trim()).reduce((a, d) => a * Number(d), 1);
  }
  return n;
}

/** `value` rounded to as many decimals as the published string has. */
function atPrecision(value: number, published: string): string {
  const decimals = published.includes('.') ? published.split('.')[1].length : 0;
  return value.toFixed(decimals);
}

interface AnalyzeJson {
  params: number;
  macs: number;
  gimacs: number;
  input_shape: number[];
  partial: boolean;
  modules: { name: string; type: string }[];
}

const configs = shippedConfigs();
const fragment = (f: string) => f.split(path.sep).includes('_base_');
const models = configs.filter((f) => !fragment(f));

describe('shipped configs', function () {
  // building the biggest models (random init of 128M parameters) dominates; the analysis itself is instant
  this.timeout(600_000);

  const analyses = new Map<string, CliResult>();
  const printed = new Map<string, CliResult>();
  let listed: Record<string, { name: string }[]> = {};

  before(async () => {
    const analyzeRuns = models.map((f) => async () => analyses.set(f, await hrdetAsync(['analyze', f, '--json', '--depth', '1'])));
    const printRuns = configs.map((f) => async () => printed.set(f, await hrdetAsync(['print-config', f])));
    await pool([...analyzeRuns, ...printRuns]);
    listed = JSON.parse(hrdet(['list', '--json']).stdout);
  });

  it('are there', () => {
    expect(models.length).to.be.greaterThan(10);
    for (const p of PUBLISHED) expect(models).to.include(p.config);
  });

  describe('reproduce the published parameter counts and GFLOPs (GiMACs)', () => {
    for (const p of PUBLISHED) {
      it(path.basename(p.config), () => {
        const a = JSON.parse(analyses.get(p.config)!.stdout) as AnalyzeJson;
        if (p.params) expect(atPrecision(a.params / 1e6, p.params), 'params (M)').to.equal(p.params);
        if (p.gflops) expect(atPrecision(a.gimacs, p.gflops), 'GFLOPs (GiMACs)').to.equal(p.gflops);
      });
    }
  });

  describe('count exactly the parameters of the official state dicts', () => {
    for (const m of MANIFESTS) {
      it(`${path.basename(m.config)} = ${m.manifest}`, () => {
        const a = JSON.parse(analyses.get(m.config)!.stdout) as AnalyzeJson;
        expect(a.params).to.equal(manifestParams(m.manifest));
      });
    }
  });

  describe('hrdet analyze works on every model config', () => {
    for (const f of models) {
      it(f, () => {
        const r = analyses.get(f)!;
        expect(r.code, r.stderr).to.equal(0);
        const a = JSON.parse(r.stdout) as AnalyzeJson;
        const cfg = JSON.parse(printed.get(f)!.stdout);
        expect(a.input_shape).to.deep.equal(cfg.input_shape ?? [3, 224, 224]);
        expect(a.params).to.be.greaterThan(0);
        expect(a.macs).to.be.greaterThan(0);
        expect(a.partial).to.equal(false);
        expect(a.modules.find((m) => m.name === 'backbone')?.type).to.equal(cfg.model.backbone.type);
      });
    }
  });

  describe('hrdet print-config works on every config (fragments included)', () => {
    for (const f of configs) {
      it(f, () => {
        const r = printed.get(f)!;
        expect(r.code, r.stderr).to.equal(0);
        const cfg = JSON.parse(r.stdout);
        expect(cfg).to.be.an('object');
        expect(cfg).to.not.have.property('_base_');
      });
    }
  });

  describe('hrdet list shows every component the model configs build', () => {
    for (const f of models) {
      it(f, () => {
        const cfg = JSON.parse(printed.get(f)!.stdout);
        const names = (kind: string) => (listed[kind] ?? []).map((c) => c.name);
        const m = cfg.model;
        expect(names('models')).to.include(m.type);
        expect(names('backbones')).to.include(m.backbone.type);
        if (m.neck) expect(names('necks')).to.include(m.neck.type);
        for (const key of ['head', 'decode_head']) if (m[key]) expect(names('heads')).to.include(m[key].type);
      });
    }
  });
});
