import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../src/core/errors';
import { applyKeyMap, keyMapSchema, mapKey } from '../../src/io/key-map';
import { OFFICIAL_HRNET_KEY_MAPS } from '../../src/models/backbones/hrnet/official-key-map';
import { SHARED_FIXTURES } from './fixture-root';

describe('io: key maps', () => {
  const dict = (...keys: string[]) => new Map(keys.map((k, i) => [k, i]));

  it('strip removes each listed prefix once, then the first matching rule renames', () => {
    const map = { strip: ['module.', 'model.'], rules: [{ from: 'stage2.', to: 'backbone.stage2.' }, { from: '', to: 'x.' }] };
    expect(mapKey('module.model.stage2.0.w', map)).to.equal('backbone.stage2.0.w');
    expect(mapKey('model.head.w', map)).to.equal('x.head.w');
    expect(mapKey('module.module.a', { strip: ['module.'] })).to.equal('module.a');
  });

  it('keys no rule matches keep their name; to: null drops; order is kept', () => {
    const out = applyKeyMap(dict('conv1.weight', 'classifier.weight', 'final_layer.bias'), [
      { from: 'classifier.', to: null },
      { from: 'conv1.', to: 'backbone.conv1.' },
    ]);
    expect([...out]).to.deep.equal([
      ['backbone.conv1.weight', 0],
      ['final_layer.bias', 2],
    ]);
  });

  it('two keys mapped to one name are an error naming both', () => {
    expect(() => applyKeyMap(dict('a.w', 'b.w'), [{ from: 'a.', to: 'b.' }])).to.throw(UserError, "key map renames both 'a.w' and 'b.w' to 'b.w'");
  });

  it('the schema accepts the documented shape and rejects unknown options', () => {
    expect(keyMapSchema.safeParse({ strip: ['model.'], rules: [{ from: 'a', to: null }] }).success).to.equal(true);
    expect(keyMapSchema.safeParse({ rules: [{ from: 'a', too: 'b' }] }).success).to.equal(false);
    expect(keyMapSchema.safeParse({ prefix: 'x' }).success).to.equal(false);
  });

  it('official HRNet maps put exactly the backbone part of the official W18 cls layout under backbone.', () => {
    const manifest = join(SHARED_FIXTURES, 'hrnet/manifests/cls_hrnet_w18.txt');
    if (!existsSync(manifest)) return;
    const keys = readFileSync(manifest, 'utf-8').split('\n').filter(Boolean).map((l) => l.split(' ')[0]);
    const mapped = [...applyKeyMap(dict(...keys), OFFICIAL_HRNET_KEY_MAPS.cls).keys()];
    const heads = mapped.filter((k) => !k.startsWith('backbone.')).map((k) => k.split('.')[0]);
    expect([...new Set(heads)]).to.deep.equal(['incre_modules', 'downsamp_modules', 'final_layer', 'classifier']);
    // the mmdet manifest's backbone keys are exactly the official suffixes with backbone. in front
    const mmdet = readFileSync(join(SHARED_FIXTURES, 'hrnet/manifests/mmdet_hrnetv2p_w32_hrfpn.txt'), 'utf-8')
      .split('\n')
      .filter((l) => l.startsWith('backbone.'))
      .map((l) => l.split(' ')[0].replace(/^backbone\./, ''));
    const official = new Set(keys);
    expect(mmdet.filter((k) => !official.has(k))).to.deep.equal([]);
  });

  it('official seg map strips model. first', () => {
    expect(mapKey('model.stage4.2.fuse_layers.0.1.0.weight', OFFICIAL_HRNET_KEY_MAPS.seg)).to.equal('backbone.stage4.2.fuse_layers.0.1.0.weight');
    expect(mapKey('model.last_layer.3.bias', OFFICIAL_HRNET_KEY_MAPS.seg)).to.equal('last_layer.3.bias');
    expect(mapKey('final_layer.weight', OFFICIAL_HRNET_KEY_MAPS.pose)).to.equal('final_layer.weight');
  });
});
