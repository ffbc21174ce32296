import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { buildModel } from '../../src/apis/build-model';
import { applyKeyMap } from '../../src/io/key-map';
import type { BaseModel } from '../../src/models/base-model';
import { SHARED_HRNET } from '../fixtures/hrnet/helpers';

const CONFIGS = join(__dirname, '../../../configs/hrnet');

interface Entry {
  key: string;
  shape: string;
  dtype: string;
}

/** A manifest (`name [d0,d1,...]` per line), keys renamed by the model's official key map. */
function manifest(file: string, model: BaseModel): Entry[] {
  const lines = readFileSync(join(SHARED_HRNET, 'manifests', file), 'utf8').trim().split('\n');
  const dict = new Map(lines.map((l) => [l.split(' ')[0], l.split(' ')[1]]));
  const mapped = applyKeyMap(dict, model.officialKeyMap());
  return [...mapped].map(([key, shape]) => ({ key, shape, dtype: key.endsWith('num_batches_tracked') ? 'int64' : 'float32' }));
}

function entries(model: BaseModel): Entry[] {
  return [...model.namedState()].map(([key, p]) => ({ key, shape: `[${p.shape.join(',')}]`, dtype: p.dtype }));
}

const line = (e: Entry) => `${e.key} ${e.dtype} ${e.shape}`;

async function build(config: string): Promise<BaseModel> {
  return (await buildModel(join(CONFIGS, config))).model;
}

/**
 * The shipped full-size configs produce exactly the state_dict of the standard models
 * (official layouts through the documented key map). Keys and shapes only; no forward.
 */
describe('HRNet configs vs the standard models (manifests)', function () {
  this.timeout(60000);

  it('pose: td-hm_hrnet-w32 256x192 = official pose_hrnet W32, 17 joints (same order)', async function () {
    const model = await build('td-hm_hrnet-w32_8xb64-210e_coco-256x192.json');
    expect(entries(model).map(line)).to.deep.equal(manifest('pose_hrnet_w32_256x192.txt', model).map(line));
    expect((model.numParameters() / 1e6).toFixed(1)).to.equal('28.5'); // published
  });

  it('cls: hrnet-w18 in1k = official cls_hrnet W18 with its head, 1000 classes (same order)', async function () {
    const model = await build('hrnet-w18_in1k-224x224.json');
    expect(entries(model).map(line)).to.deep.equal(manifest('cls_hrnet_w18.txt', model).map(line));
    expect((model.numParameters() / 1e6).toFixed(1)).to.equal('21.3'); // published
  });

  it('mmdet: hrnetv2p-w32-hrfpn = mmdetection HRNetV2p-W32 + HRFPN(256, 5 levels) (same order)', async function () {
    const model = await build('hrnetv2p-w32-hrfpn.json');
    expect(model.officialKeyMap().length).to.be.greaterThan(0); // a no-op on mm* keys
    expect(entries(model).map(line)).to.deep.equal(manifest('mmdet_hrnetv2p_w32_hrfpn.txt', model).map(line));
  });

  it('seg: HRNetV2-W48 Cityscapes, official layout and mmseg layout', async function () {
    const official = await build('seg-hrnet-w48_official_cityscapes-1024x2048.json');
    const expected = manifest('seg_hrnet_w48_cityscapes.txt', official);
    const got = entries(official);
    // the body in order; the head as a set (mmseg builds conv_seg before convs)
    const body = (es: Entry[]) => es.filter((e) => e.key.startsWith('backbone.')).map(line);
    expect(body(got)).to.deep.equal(body(expected));
    expect(got.map(line).sort()).to.deep.equal(expected.map(line).sort());
    expect((official.numParameters() / 1e6).toFixed(1)).to.equal('65.9'); // published
    // mmseg's fcn_hr48: the same network without the bias of the 1x1 conv that precedes the BN
    const mmseg = await build('fcn_hr48_4xb2-80k_cityscapes-512x1024.json');
    const withoutBias = expected.filter((e) => e.key !== 'decode_head.convs.0.conv.bias');
    expect(entries(mmseg).map(line).sort()).to.deep.equal(withoutBias.map(line).sort());
  });
});
