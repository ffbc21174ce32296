import { expect } from 'chai';
import { mergeConfig } from '../../src/config/merge';
import type { ConfigSources } from '../../src/config/config-tree';

describe('config/merge (mmengine rules)', () => {
  const merge = (base: object, child: object, sources: ConfigSources = new Map()) =>
    mergeConfig(base as Record<string, unknown>, child as Record<string, unknown>, '/cfg/child.json', sources);

  it('merges objects key by key, recursively', () => {
    const base = { model: { type: 'M', backbone: { type: 'HRNet', extra: { stage2: { num_modules: 1, num_branches: 2 } } } }, a: 1 };
    const out = merge(base, { model: { backbone: { extra: { stage2: { num_modules: 4 } } } }, b: 2 });
    expect(out).to.deep.equal({
      model: { type: 'M', backbone: { type: 'HRNet', extra: { stage2: { num_modules: 4, num_branches: 2 } } } },
      a: 1,
      b: 2,
    });
  });

  it('replaces lists instead of merging them, and leaves the base untouched', () => {
    const base = { pipeline: [{ type: 'Load' }, { type: 'Resize', scale: [1333, 800] }], mean: [1, 2, 3] };
    const out = merge(base, { pipeline: [{ type: 'Pad' }], mean: [0] });
    expect(out).to.deep.equal({ pipeline: [{ type: 'Pad' }], mean: [0] });
    expect(base.pipeline).to.have.length(2);
  });

  it('_delete_: true replaces the base object, and the marker disappears', () => {
    const base = { model: { backbone: { type: 'ResNet', depth: 50, norm_eval: true } } };
    const out = merge(base, { model: { backbone: { _delete_: true, type: 'HRNet', extra: { _delete_: true, x: 1 } } } });
    expect(out).to.deep.equal({ model: { backbone: { type: 'HRNet', extra: { x: 1 } } } });
  });

  it('_delete_: false merges as usual', () => {
    const out = merge({ a: { x: 1 } }, { a: { _delete_: false, y: 2 } });
    expect(out).to.deep.equal({ a: { x: 1, y: 2 } });
  });

  it('an object replaces a base null (mmdetection init_cfg=None) and a scalar replaces an object', () => {
    const out = merge({ init_cfg: null, neck: { type: 'FPN' } }, { init_cfg: { type: 'Pretrained' }, neck: 'none' });
    expect(out).to.deep.equal({ init_cfg: { type: 'Pretrained' }, neck: 'none' });
  });

  it('records which file set each path', () => {
    const sources: ConfigSources = new Map([
      ['model', '/cfg/base.json'],
      ['model.depth', '/cfg/base.json'],
      ['model.pipeline', '/cfg/base.json'],
      ['model.pipeline.0', '/cfg/base.json'],
    ]);
    merge({ model: { depth: 50, pipeline: [1] } }, { model: { depth: 101, pipeline: [] } }, sources);
    expect(Object.fromEntries(sources)).to.deep.equal({
      model: '/cfg/base.json',
      'model.depth': '/cfg/child.json',
      'model.pipeline': '/cfg/child.json',
    });
  });
});
