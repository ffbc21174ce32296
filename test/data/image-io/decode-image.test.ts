import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileError } from '../../../src/core/errors';
import { decodeImage, readImage } from '../../../src/data/image-io/decode-image';
import { encodeImage } from '../../../src/data/image-io/encode-image';
import { swapRedBlue, type ColorType, type HwcImage } from '../../../src/data/image-io/image';
import { REPO_ROOT } from '../../fixture-root';

/** Small images in every format and what OpenCV's imdecode returns for them (make_image_refs.py). */
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'data');
interface Ref {
  file: string;
  flag: ColorType;
  shape: [number, number, number];
  dtype: 'uint8' | 'uint16';
  data: string;
}
const REFS: Ref[] = JSON.parse(readFileSync(join(FIXTURES, 'image_refs.json'), 'utf8')).refs;
const fixture = (name: string) => join(FIXTURES, 'images', name);

function refImage(r: Ref): HwcImage {
  const buf = Buffer.from(r.data, 'base64');
  const bytes = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
  const data = r.dtype === 'uint16' ? new Uint16Array(bytes) : new Uint8Array(bytes);
  const [height, width, channels] = r.shape;
  return { data, height, width, channels, order: channels === 1 ? 'gray' : 'bgr' };
}

function expectSame(got: HwcImage, want: HwcImage, what: string): void {
  expect([got.height, got.width, got.channels], what).to.deep.equal([want.height, want.width, want.channels]);
  expect(got.data.constructor.name, what).to.equal(want.data.constructor.name);
  expect(got.order, what).to.equal(want.order);
  let differing = 0;
  for (let i = 0; i < want.data.length; i++) if (got.data[i] !== want.data[i]) differing++;
  expect(differing, `${what}: values differing from the reference`).to.equal(0);
}

/** The stored pixels as a viewer shows them under EXIF orientation `o` (TIFF 6.0's definitions). */
function oriented(img: HwcImage, o: number): HwcImage {
  const { height: h, width: w, channels: c } = img;
  const swap = o >= 5;
  const oh = swap ? w : h;
  const ow = swap ? h : w;
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      // source (row, col) of output (y, x)
      const [r, col] = [
        [y, x], // 1 as stored
        [y, w - 1 - x], // 2 mirrored
        [h - 1 - y, w - 1 - x], // 3 rotated 180
        [h - 1 - y, x], // 4 flipped
        [x, y], // 5 transposed
        [h - 1 - x, y], // 6 rotated 90 clockwise
        [h - 1 - x, w - 1 - y], // 7 transversed
        [x, w - 1 - y], // 8 rotated 90 anticlockwise
      ][o - 1];
      for (let k = 0; k < c; k++) out[(y * ow + x) * c + k] = img.data[(r * w + col) * c + k];
    }
  }
  return { ...img, data: out, height: oh, width: ow };
}

describe('data: decodeImage', () => {
  it(`matches OpenCV's imdecode exactly for every file and flag (${REFS.length} cases)`, async () => {
    const formats = new Set(REFS.map((r) => r.file.split('.').pop()));
    expect([...formats].sort()).to.deep.equal(['jpg', 'png', 'webp']);
    for (const r of REFS) {
      const got = await decodeImage(readFileSync(fixture(r.file)), r.file, { colorType: r.flag, channelOrder: 'bgr' });
      expectSame(got, refImage(r), `${r.file} (${r.flag})`);
    }
  });

  it('returns RGB when asked, for colour and for unchanged images', async () => {
    for (const r of REFS.filter((x) => x.flag !== 'grayscale' && x.shape[2] > 1)) {
      const got = await readImage(fixture(r.file), { colorType: r.flag, channelOrder: 'rgb' });
      expectSame(got, swapRedBlue(refImage(r)), `${r.file} (${r.flag}, rgb)`);
    }
  });

  it('keeps 16-bit samples unchanged and cuts them to the high byte in colour', async () => {
    const deep = await readImage(fixture('gray16.png'), { colorType: 'unchanged' });
    const color = await readImage(fixture('gray16.png'));
    expect(deep.data).to.be.instanceOf(Uint16Array);
    expect(deep.data.some((v) => (v & 0xff) !== v >> 8), 'the fixture has low bytes unlike the high ones').to.equal(true);
    for (let i = 0; i < deep.data.length; i++) expect(color.data[3 * i]).to.equal(deep.data[i] >> 8);
  });

  it('applies EXIF orientation in colour and grayscale, not unchanged (all eight orientations)', async () => {
    const stored = await readImage(fixture('orient_1.jpg'));
    const storedGray = await readImage(fixture('orient_1.jpg'), { colorType: 'grayscale' });
    for (let o = 1; o <= 8; o++) {
      const file = fixture(`orient_${o}.jpg`);
      expectSame(await readImage(file), oriented(stored, o), `orientation ${o}`);
      expectSame(await readImage(file, { colorType: 'grayscale' }), oriented(storedGray, o), `orientation ${o} gray`);
      expectSame(await readImage(file, { colorType: 'unchanged' }), stored, `orientation ${o} unchanged`);
    }
  });

  describe('errors name the file', () => {
    let dir: string;
    let png: Buffer;
    let jpeg: Buffer;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'hrdet-img-'));
      const img: HwcImage = { data: new Uint8Array(48 * 40 * 3).map((_, i) => (i * 37) % 251), height: 40, width: 48, channels: 3, order: 'rgb' };
      png = await encodeImage(img, 'png');
      jpeg = await encodeImage(img, 'jpeg');
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const cases: [string, () => Buffer][] = [
      ['a text file', () => Buffer.from('name,score\nalice,3\n')],
      ['an empty file', () => Buffer.alloc(0)],
      ['a truncated PNG', () => png.subarray(0, png.length - 30)],
      ['a truncated JPEG', () => jpeg.subarray(0, jpeg.length >> 1)],
      ['a PNG with a corrupt header', () => Buffer.concat([png.subarray(0, 16), Buffer.alloc(16, 0xff), png.subarray(32)])],
      ['a JPEG whose scan data is garbage', () => Buffer.concat([jpeg.subarray(0, jpeg.length - 200), Buffer.alloc(198, 0xff), jpeg.subarray(-2)])],
    ];
    for (const [what, bytes] of cases) {
      it(`rejects ${what} with one FileError line`, async () => {
        const file = join(dir, `${what.replace(/ /g, '_')}.img`);
        writeFileSync(file, bytes());
        const err = await readImage(file).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, what).to.be.instanceOf(FileError);
        const message = (err as FileError).message;
        expect(message.startsWith(`${file}: cannot decode image: `), message).to.equal(true);
        expect(message).to.not.contain('\n');
      });
    }

    it('says so for a missing file and for a directory', async () => {
      const missing = join(dir, 'nope.png');
      await readImage(missing).then(
        () => expect.fail('no error'),
        (e: Error) => expect(e.message).to.equal(`${missing}: no such image file`),
      );
      await readImage(dir).then(
        () => expect.fail('no error'),
        (e: Error) => expect(e.message).to.equal(`${dir}: is a directory, not an image`),
      );
    });

    it('says which formats it reads for a non-image', async () => {
      await decodeImage(Buffer.from('hello'), 'notes.txt').then(
        () => expect.fail('no error'),
        (e: Error) => expect(e.message).to.equal('notes.txt: cannot decode image: not an image in a supported format (JPEG, PNG, WebP, TIFF, GIF, AVIF)'),
      );
    });
  });
});
