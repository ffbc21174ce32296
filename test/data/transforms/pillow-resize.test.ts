import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imresize } from '../../../src/data/transforms/pillow-resize';
import { REPO_ROOT } from '../../fixture-root';
import { ramp } from './helpers/sample';

const REFS = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/data/seg_cls_refs.json'), 'utf8')).pillow;

describe("imresize (mmcv's, backend pillow: reference Pillow 9.4 Image.resize)", () => {
  const src = { data: Uint8Array.from(REFS.src), height: REFS.h, width: REFS.w, channels: 3, order: 'bgr' as const };
  for (const c of REFS.cases) {
    it(`${REFS.h}x${REFS.w} -> ${c.h}x${c.w} ${c.interpolation}: Pillow's values exactly`, () => {
      const out = imresize(src, c.h, c.w, c.interpolation, 'pillow');
      expect([out.height, out.width, out.channels]).to.deep.equal([c.h, c.w, 3]);
      expect([...out.data]).to.deep.equal(c.out);
    });
  }

  it('cv2 is image-ops (bilinear, nearest); other interpolations are refused naming the option', () => {
    expect(imresize(ramp(2, 2), 4, 4, 'nearest', 'cv2').data[3 * 5]).to.equal(ramp(2, 2).data[0]);
    expect(() => imresize(ramp(2, 2), 4, 4, 'bicubic', 'cv2', 'ResizeEdge.interpolation')).to.throw(/^ResizeEdge\.interpolation: 'bicubic' is not available with backend 'cv2'/);
    expect(() => imresize(ramp(2, 2), 4, 4, 'lanczos', 'pillow')).to.throw(/'lanczos' is not available with backend 'pillow'/);
  });
});
