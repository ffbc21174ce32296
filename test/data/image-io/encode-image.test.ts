import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage, readImage } from '../../../src/data/image-io/decode-image';
import { encodeImage, formatOfPath, writeImage } from '../../../src/data/image-io/encode-image';
import type { HwcImage } from '../../../src/data/image-io/image';

function pattern(height: number, width: number, channels: number, order: HwcImage['order']): HwcImage {
  const data = new Uint8Array(height * width * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 53 + (i >> 4)) & 0xff;
  return { data, height, width, channels, order };
}

describe('data: encodeImage / writeImage', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'hrdet-enc-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips PNG exactly: gray, BGR, RGB, RGBA, 16-bit', async () => {
    const deep: HwcImage = { data: new Uint16Array(6 * 5).map((_, i) => i * 2113), height: 6, width: 5, channels: 1, order: 'gray' };
    const cases: [HwcImage, 'color' | 'unchanged'][] = [
      [pattern(7, 9, 1, 'gray'), 'unchanged'],
      [pattern(7, 9, 3, 'bgr'), 'color'],
      [pattern(7, 9, 3, 'rgb'), 'color'],
      [pattern(7, 9, 4, 'rgb'), 'unchanged'],
      [deep, 'unchanged'],
    ];
    for (const [img, colorType] of cases) {
      const bytes = await encodeImage(img, 'png');
      const back = await decodeImage(bytes, 'x.png', { colorType, channelOrder: img.order === 'gray' ? 'bgr' : img.order });
      expect(back, `${img.channels} channels ${img.order}`).to.deep.equal(img);
    }
  });

  it('writes one-channel images as gray PNGs (label maps stay one channel)', async () => {
    const meta = await sharp(await encodeImage(pattern(4, 4, 1, 'gray'), 'png')).metadata();
    expect([meta.channels, meta.space]).to.deep.equal([1, 'b-w']);
  });

  it('writes JPEG close to the pixels, in the order the image states', async () => {
    // a smooth image: JPEG keeps it within a few levels
    const img = pattern(16, 16, 3, 'bgr');
    for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) img.data.set([x * 4, 200 - y * 4, 100], (y * 16 + x) * 3);
    const back = await decodeImage(await encodeImage(img, 'jpeg', { quality: 100 }), 'x.jpg', { channelOrder: 'bgr' });
    let worst = 0;
    for (let i = 0; i < img.data.length; i++) worst = Math.max(worst, Math.abs(back.data[i] - img.data[i]));
    expect(worst).to.be.lessThan(6);
  });

  it('gives the same bytes for the same pixels', async () => {
    const img = pattern(20, 30, 3, 'rgb');
    for (const f of ['png', 'jpeg'] as const) {
      expect(Buffer.compare(await encodeImage(img, f), await encodeImage({ ...img, data: img.data.slice() }, f))).to.equal(0);
    }
  });

  it('writes atomically, leaving no temporary file, with the format from the extension', async () => {
    const img = pattern(5, 6, 3, 'rgb');
    await writeImage(join(dir, 'a.png'), img);
    await writeImage(join(dir, 'b.JPG'), img);
    expect(readdirSync(dir).sort()).to.deep.equal(['a.png', 'b.JPG']);
    expect((await sharp(readFileSync(join(dir, 'b.JPG'))).metadata()).format).to.equal('jpeg');
    expect(await readImage(join(dir, 'a.png'), { channelOrder: 'rgb' })).to.deep.equal(img);
  });

  it('rejects what the format cannot hold and unknown extensions', async () => {
    expect(() => formatOfPath('out.bmp')).to.throw('out.bmp: cannot tell the image format from ".bmp": use .png, .jpg or .jpeg');
    const deep: HwcImage = { data: new Uint16Array(4), height: 2, width: 2, channels: 1, order: 'gray' };
    await encodeImage(deep, 'jpeg').then(
      () => expect.fail('no error'),
      (e: Error) => expect(e.message).to.contain('JPEG holds 8-bit samples only'),
    );
    await encodeImage({ ...pattern(2, 2, 3, 'rgb'), data: new Uint8Array(5) }, 'png').then(
      () => expect.fail('no error'),
      (e: Error) => expect(e.message).to.equal('image data holds 5 values, expected 2x2x3'),
    );
  });
});
