import { expect } from 'chai';
import * as path from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { fixtureDir, removeFixtureDirs } from './fixture-dir';

describe('config/loadConfig (JS and TS modules)', () => {
  after(removeFixtureDirs);

  it('reads module.exports of a CommonJS file and the default export of an ES module', () => {
    const dir = fixtureDir({
      'a.js': "module.exports = { model: { type: 'M', depth: 18 } };\n",
      'b.mjs': "const depth = 34;\nexport default { model: { type: 'M', depth } };\n",
      'c.cjs': "exports.model = { type: 'M', depth: 50 };\n",
    });
    expect(loadConfig(path.join(dir, 'a.js')).config).to.deep.equal({ model: { type: 'M', depth: 18 } });
    expect(loadConfig(path.join(dir, 'b.mjs')).config).to.deep.equal({ model: { type: 'M', depth: 34 } });
    expect(loadConfig(path.join(dir, 'c.cjs')).config).to.deep.equal({ model: { type: 'M', depth: 50 } });
  });

  it('compiles a TS config that imports hrdet and a local TS helper without an extension', () => {
    const dir = fixtureDir({
      'widths.ts': 'export const widths: number[] = [32, 64, 128, 256];\n',
      'cfg.ts': [
        "import { defineConfig } from 'hrdet/config';",
        "import { widths } from './widths';",
        'interface Local { n: number }',
        'const local: Local = { n: 4 };',
        'export default defineConfig({',
        "  model: { type: 'x.Net', channels: widths, n: local.n },",
        '});',
      ].join('\n'),
    });
    expect(loadConfig(path.join(dir, 'cfg.ts')).config).to.deep.equal({ model: { type: 'x.Net', channels: [32, 64, 128, 256], n: 4 } });
  });

  it('inherits like any config: a TS config over a JSON base, with _base_ in the object', () => {
    const dir = fixtureDir({
      'base.json': { model: { type: 'M', backbone: { depth: 50, style: 'pytorch' } } },
      'cfg.ts': "export default { _base_: './base.json', model: { backbone: { depth: 101 } } };\n",
    });
    const loaded = loadConfig(path.join(dir, 'cfg.ts'));
    expect(loaded.config).to.deep.equal({ model: { type: 'M', backbone: { depth: 101, style: 'pytorch' } } });
    expect(loaded.files).to.deep.equal([path.join(dir, 'cfg.ts'), path.join(dir, 'base.json')]);
  });

  it('calls a config function with its bases (named by export const _base_) to read base values', () => {
    const dir = fixtureDir({
      'base.yaml': 'model:\n  backbone: {type: HRNet, extra: {stage4: {num_channels: [18, 36, 72, 144]}}}\n',
      'cfg.ts': [
        "export const _base_ = ['./base.yaml'];",
        'export default ({ base }: { base: any }) => ({',
        "  model: { neck: { type: 'HRFPN', in_channels: base.model.backbone.extra.stage4.num_channels } },",
        '});',
      ].join('\n'),
      'cfg.js': "module.exports = () => ({ _base_: './base.yaml', a: 1 });\n",
    });
    expect(loadConfig(path.join(dir, 'cfg.ts')).config).to.deep.equal({
      model: {
        backbone: { type: 'HRNet', extra: { stage4: { num_channels: [18, 36, 72, 144] } } },
        neck: { type: 'HRFPN', in_channels: [18, 36, 72, 144] },
      },
    });
    expect(loadConfig(path.join(dir, 'cfg.js')).config).to.have.property('a', 1);
  });

  it('evaluates a config file anew on each load, and never shares data between loads', () => {
    const dir = fixtureDir({ 'cfg.js': "globalThis.__hrdetLoads = (globalThis.__hrdetLoads || 0) + 1;\nmodule.exports = { list: [1] };\n" });
    const g = globalThis as { __hrdetLoads?: number };
    delete g.__hrdetLoads;
    const first = loadConfig(path.join(dir, 'cfg.js')).config;
    (first.list as number[]).push(2);
    expect(loadConfig(path.join(dir, 'cfg.js')).config).to.deep.equal({ list: [1] });
    expect(g.__hrdetLoads).to.equal(2);
  });
});
