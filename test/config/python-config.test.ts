import { expect } from 'chai';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { formatConfig } from '../../src/config/format-config';
import { formatPythonConfig, pyString } from '../../src/config/python-config';
import { UserError } from '../../src/core/errors';
import { REPO_ROOT } from '../fixture-root';
import { parsePythonConfig, plain, PyTupleValue } from './python-config-parser';

function shippedConfigs(dir = join(REPO_ROOT, 'configs')): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === '_base_' ? [] : shippedConfigs(p);
    return /\.(json|ya?ml)$/.test(f) ? [p] : [];
  });
}

describe('config/python-config: mmengine Python configs (print-config --format py)', () => {
  const cfg = {
    default_scope: 'mmdet',
    model: {
      type: 'RetinaNet',
      backbone: { type: 'ResNet', depth: 50, out_indices: [0, 1, 2, 3], frozen_stages: 1, norm_cfg: { type: 'BN', requires_grad: true }, norm_eval: true, init_cfg: null },
      data_preprocessor: { type: 'DetDataPreprocessor', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], bgr_to_rgb: true },
    },
    train_pipeline: [
      { type: 'LoadImageFromFile', backend_args: null },
      { type: 'Resize', scale: [1333, 800], keep_ratio: true },
      { type: 'RandomChoiceResize', scales: [[1333, 640], [1333, 800]] },
    ],
    optim_wrapper: { type: 'OptimWrapper', optimizer: { type: 'AdamW', lr: 0.0001, betas: [0.9, 0.999], weight_decay: 0.05 }, paramwise_cfg: { custom_keys: { 'backbone.layer1': { lr_mult: 0.1 }, '.bias': { decay_mult: 0 } } } },
    extra: { class: 'keyword key', 'with-dash': 1, lambda: 2 },
    hrnet: { num_blocks: [4], stages: [] },
    text: "it's a \\ path\n\twith tab \u00e9 \u0001",
    numbers: [0, -3, 1e-8, 1.5e21, NaN, Infinity, -Infinity],
  };

  it('parses back to the same content, tuples exactly where mm* writes them', () => {
    const text = formatPythonConfig(cfg);
    const back = parsePythonConfig(text);
    expect(plain(back)).to.deep.equal(cfg);
    const b = back as any;
    expect(b.model.backbone.out_indices).to.be.instanceOf(PyTupleValue);
    expect(b.train_pipeline[1].scale).to.be.instanceOf(PyTupleValue);
    expect(b.train_pipeline[2].scales).to.be.an('array');
    expect(b.train_pipeline[2].scales[0]).to.be.instanceOf(PyTupleValue);
    expect(b.optim_wrapper.optimizer.betas).to.be.instanceOf(PyTupleValue);
    expect(b.model.data_preprocessor.mean).to.be.an('array'); // lists in mmdet 3 configs
    expect(text).to.include('num_blocks=(4,)');
  });

  it('writes mmengine style: dict(key=value), {...} only for keys that are not identifiers, True/False/None', () => {
    const text = formatPythonConfig(cfg);
    expect(text).to.include("default_scope = 'mmdet'\n");
    expect(text).to.include("norm_cfg=dict(type='BN', requires_grad=True)");
    expect(text).to.include('init_cfg=None');
    expect(text).to.include("custom_keys={'backbone.layer1': dict(lr_mult=0.1), '.bias': dict(decay_mult=0)}");
    expect(text).to.include("extra = {'class': 'keyword key', 'with-dash': 1, 'lambda': 2}");
    expect(text).to.include("float('nan'), float('inf'), -float('inf')");
    expect(text.split('\n').every((l) => l.length <= 100)).to.equal(true);
  });

  it("escapes strings as Python's repr does", () => {
    expect(pyString("it's")).to.equal("'it\\'s'");
    expect(pyString('a\\b\n\t\r\u0000\u007f')).to.equal("'a\\\\b\\n\\t\\r\\x00\\x7f'");
    expect(pyString('é中')).to.equal("'é中'");
  });

  it('a top-level key that is no Python name is a user error naming it', () => {
    expect(() => formatPythonConfig({ 'my-key': 1 })).to.throw(UserError, /'my-key'/);
  });

  it('every shipped config: bases flattened, parses back to the merged config', () => {
    const files = shippedConfigs();
    expect(files.length).to.be.greaterThan(5);
    for (const f of files) {
      const merged = loadConfig(f).config;
      const text = formatConfig(merged, 'py');
      expect(text, f).to.not.include('_base_');
      expect(plain(parsePythonConfig(text)), f).to.deep.equal(JSON.parse(JSON.stringify(merged)));
    }
  });
});
