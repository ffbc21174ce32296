import { expect } from 'chai';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { formatConfig, printConfig } from '../../src/config/format-config';
import { fixtureDir, removeFixtureDirs } from './fixture-dir';

describe('config/formatConfig', () => {
  after(removeFixtureDirs);

  const cfg = {
    model: { type: 'M', backbone: { type: 'HRNet', out: [0, 1], norm_cfg: null } },
    pipeline: [{ type: 'Resize', scale: [1333, 800], keep_ratio: true }],
    flag: 'yes',
    empty: [],
  };

  it('writes JSON with two-space indents', () => {
    expect(formatConfig({ a: { b: [1, 2] } }, 'json')).to.equal('{\n  "a": {\n    "b": [\n      1,\n      2\n    ]\n  }\n}\n');
  });

  it('writes YAML with lists of plain values on one line, quoting what YAML 1.1 would misread', () => {
    expect(formatConfig(cfg, 'yaml')).to.equal(
      [
        'model:',
        '  type: M',
        '  backbone:',
        '    type: HRNet',
        '    out: [0, 1]',
        '    norm_cfg: null',
        'pipeline:',
        '  - type: Resize',
        '    scale: [1333, 800]',
        '    keep_ratio: true',
        "flag: 'yes'",
        'empty: []',
        '',
      ].join('\n'),
    );
  });

  it('round-trips through YAML and JSON', () => {
    expect(yaml.load(formatConfig(cfg, 'yaml'))).to.deep.equal(cfg);
    expect(JSON.parse(formatConfig(cfg, 'json'))).to.deep.equal(cfg);
  });

  it('printConfig loads, merges and formats', () => {
    const dir = fixtureDir({ 'base.json': { a: { x: 1 } }, 'cfg.yaml': '_base_: base.json\na: {y: 2}\n' });
    expect(printConfig(path.join(dir, 'cfg.yaml'), { format: 'yaml', cfgOptions: ['a.x=3'] })).to.equal("a:\n  x: 3\n  'y': 2\n"); // y is a boolean to YAML 1.1 readers
  });
});
