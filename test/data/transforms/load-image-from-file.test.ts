import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../../src/components';
import { t } from './helpers/sample';
import { writeImage } from '../../../src/data/image-io/encode-image';
import type { Results } from '../../../src/data/transforms/results';

describe('LoadImageFromFile', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'hrdet-load-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('LoadImageFromFile reads BGR, sets img_shape and ori_shape, to_float32 gives float pixels', async () => {
    const file = join(dir, 'a.png');
    // RGB pixels red, green / blue, white (a 2x2 image)
    await writeImage(file, { data: Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]), height: 2, width: 2, channels: 3, order: 'rgb' });
    const r = (await t({ type: 'LoadImageFromFile', to_float32: true, imdecode_backend: 'pillow' }).transform({ img_path: file })) as Results;
    expect(r.img!.data).to.be.instanceOf(Float32Array);
    expect([...r.img!.data]).to.deep.equal([0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255]);
    expect(r.img_shape).to.deep.equal([2, 2]);
    expect(r.ori_shape).to.deep.equal([2, 2]);
    const g = (await t({ type: 'LoadImageFromFile', color_type: 'grayscale' }).transform({ img_path: file })) as Results;
    expect(g.img!.channels).to.equal(1);
    expect(() => t({ type: 'LoadImageFromFile', imdecode_backend: 'turbojpeg' })).to.throw(/imdecode_backend/);
  });

  it('a missing image names the annotation entry; ignore_empty drops the sample', async () => {
    const missing = { img_path: join(dir, 'nope.jpg'), ann_source: 'ann.json: images[2] (id 9)' };
    let msg = '';
    try {
      await t({ type: 'LoadImageFromFile' }).transform(missing);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).to.match(/^ann\.json: images\[2\] \(id 9\): file_name: image file .*nope\.jpg does not exist$/);
    expect(await t({ type: 'LoadImageFromFile', ignore_empty: true }).transform(missing)).to.equal(null);
  });
});
