import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeImage } from '../../../src/data/image-io/encode-image';
import type { HwcImage } from '../../../src/data/image-io/image';
import type { Results } from '../../../src/data/transforms/results';
import { ramp } from './helpers/sample';
import { pt } from './helpers/pose-sample';

describe('LoadImage (mmpose)', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'hrdet-loadimage-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads img_path as LoadImageFromFile does (BGR, shapes)', async () => {
    const file = join(dir, 'a.png');
    await writeImage(file, ramp(3, 5) as HwcImage);
    const r = (await pt({ type: 'LoadImage' }).transform({ img_path: file })) as Results;
    expect([r.img!.height, r.img!.width, r.img!.channels]).to.deep.equal([3, 5, 3]);
    expect(r.ori_shape).to.deep.equal([3, 5]);
    expect(r.img_shape).to.deep.equal([3, 5]);
  });

  it('keeps an image already in the results, as float32 with to_float32', async () => {
    const r = (await pt({ type: 'LoadImage', to_float32: true }).transform({ img: ramp(2, 4) })) as Results;
    expect(r.img!.data).to.be.instanceOf(Float32Array);
    expect(r.img!.data[4]).to.equal(11);
    expect([r.img_shape, r.ori_shape]).to.deep.equal([[2, 4], [2, 4]]);
  });
});
