import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeLabelMap } from '../../../src/data/image-io/label-map';
import { pngHeader } from '../../../src/data/image-io/png-palette-indices';
import { REPO_ROOT } from '../../fixture-root';

const ALL = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/data/seg_cls_refs.json'), 'utf8'));
const REFS = ALL.label_maps;
const png = (name: string) => new Uint8Array(Buffer.from(REFS.png[name], 'base64'));

describe('decodeLabelMap (mmseg: imfrombytes unchanged, pillow backend)', () => {
  for (const name of ['palette8', 'palette8_interlaced', 'palette4']) {
    it(`${name}: palette indices, as Pillow's 'P' mode gives them (a colour shared by two indices stays two labels)`, async () => {
      const head = pngHeader(png(name))!;
      expect(head.colorType).to.equal(3);
      expect(head.bitDepth).to.equal(name === 'palette4' ? 4 : 8);
      expect(head.interlaced).to.equal(name.endsWith('interlaced'));
      const m = await decodeLabelMap(png(name), name);
      expect([m.height, m.width]).to.deep.equal([REFS.h, REFS.w]);
      expect([...m.data]).to.deep.equal(REFS.labels);
    });
  }

  it('gray PNGs give their values; 1-bit PNGs 0 and 1 (Pillow mode 1)', async () => {
    expect([...(await decodeLabelMap(png('gray'), 'g')).data]).to.deep.equal(REFS.labels);
    expect([...(await decodeLabelMap(png('bits1'), 'b')).data]).to.deep.equal(REFS.labels.map((v: number) => v % 2));
  });

  it('16-bit gray keeps the low byte (numpy uint8 cast); colour label maps are refused naming the file', async () => {
    expect(pngHeader(png('gray16'))!.bitDepth).to.equal(16);
    expect([...(await decodeLabelMap(png('gray16'), 'g16')).data]).to.deep.equal(ALL.label_maps_gray16);
    const rgb = await sharp(Buffer.from([1, 2, 3, 4, 5, 6]), { raw: { width: 2, height: 1, channels: 3 } }).png().toBuffer();
    try {
      await decodeLabelMap(rgb, 'ann/x.png');
      expect.fail('should be refused');
    } catch (e) {
      expect((e as Error).message).to.equal('ann/x.png: label map has 3 channels; expected one channel of class indices (a gray or palette PNG)');
    }
  });

  it('a truncated palette PNG is one FileError naming the file', async () => {
    const bytes = png('palette8');
    try {
      await decodeLabelMap(bytes.subarray(0, bytes.length - 30), 'ann/cut.png');
      expect.fail('should be refused');
    } catch (e) {
      expect((e as Error).message).to.match(/^ann\/cut\.png: cannot decode image: corrupt or truncated/);
    }
  });
});
