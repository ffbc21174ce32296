import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bboxIou,
  decodeRle,
  encodeMask,
  makeRle,
  mergeRles,
  rleArea,
  rleFromBbox,
  rleFromCoco,
  rleFromPolygon,
  rleFromPolygons,
  rleFromString,
  rleIou,
  rleToBbox,
  rleToString,
  type Rle,
} from '../../../src/structures/mask';
import { REPO_ROOT, sharedFixtures } from '../../fixture-root';

/** Made by test/fixtures/evaluation/make_mask_cases.py with cocoapi's pycocotools. */
const cases = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/evaluation/mask_cases.json'), 'utf8'));

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomBitmap(rand: () => number, h: number, w: number, p: number): Uint8Array {
  return Uint8Array.from({ length: h * w }, () => (rand() < p ? 1 : 0));
}

describe('mask API: hand-made cases', () => {
  // row-major [[0,1,0],[0,1,1],[0,0,0]]: column-major walk 0,0,0 | 1,1,0 | 0,1,0
  const bitmap = [0, 1, 0, 0, 1, 1, 0, 0, 0];

  it('encodes column-major, starting with a background run', () => {
    const rle = encodeMask(bitmap, 3, 3);
    expect(Array.from(rle.counts)).to.deep.equal([3, 2, 2, 1, 1]);
    expect(Array.from(encodeMask([1, 0, 1, 0], 2, 2).counts)).to.deep.equal([0, 2, 2]);
    const colMajor = encodeMask([0, 0, 0, 1, 1, 0, 0, 1, 0], 3, 3, 'column-major');
    expect(Array.from(colMajor.counts)).to.deep.equal([3, 2, 2, 1, 1]);
  });

  it('decodes back to the bitmap in either order', () => {
    const rle = makeRle(3, 3, [3, 2, 2, 1, 1]);
    expect(Array.from(decodeRle(rle))).to.deep.equal(bitmap);
    expect(Array.from(decodeRle(rle, 'column-major'))).to.deep.equal([0, 0, 0, 1, 1, 0, 0, 1, 0]);
  });

  it('writes the compressed string with deltas from the fourth run on', () => {
    // runs 3,2,2 as themselves; 1-2 = -1 twice ('O' = 48 + 31)
    expect(rleToString(makeRle(3, 3, [3, 2, 2, 1, 1]))).to.equal('322OO');
    expect(Array.from(rleFromString('322OO', 3, 3).counts)).to.deep.equal([3, 2, 2, 1, 1]);
    const big = makeRle(1000, 1000, [123456, 1, 876543]);
    expect(Array.from(rleFromString(rleToString(big), 1000, 1000).counts)).to.deep.equal([123456, 1, 876543]);
  });

  it('rejects characters outside the alphabet', () => {
    expect(() => rleFromString('3 2', 3, 3)).to.throw(/invalid character/);
  });

  it('gives area and a tight box; a run wrapping into the next column spans the full height', () => {
    const rle = makeRle(3, 3, [3, 2, 2, 1, 1]);
    expect(rleArea(rle)).to.equal(3);
    expect(rleToBbox(rle)).to.deep.equal([1, 0, 2, 2]);
    expect(rleToBbox(makeRle(3, 2, [2, 2, 2]))).to.deep.equal([0, 0, 2, 3]);
    expect(rleToBbox(makeRle(3, 2, [6]))).to.deep.equal([0, 0, 0, 0]);
  });

  it('rasterises an integer box to exactly its pixels', () => {
    const rle = rleFromBbox([2, 3, 10, 5], 20, 20);
    expect(rleArea(rle)).to.equal(50);
    expect(rleToBbox(rle)).to.deep.equal([2, 3, 10, 5]);
    const m = decodeRle(rle);
    for (let y = 0; y < 20; y++)
      for (let x = 0; x < 20; x++) expect(m[y * 20 + x]).to.equal(x >= 2 && x < 12 && y >= 3 && y < 8 ? 1 : 0);
  });

  it('box IoU: plain and against a crowd region', () => {
    const iou = bboxIou([[0, 0, 10, 10]], [[5, 5, 10, 10], [20, 20, 5, 5], [5, 5, 10, 10]], [0, 0, 1]);
    expect(iou.values[0]).to.equal(25 / 175);
    expect(iou.values[1]).to.equal(0);
    expect(iou.values[2]).to.equal(25 / 100);
  });

  it('merge and mask IoU agree with pixel counting on random masks', () => {
    const rand = seeded(7);
    for (let trial = 0; trial < 30; trial++) {
      const h = 1 + Math.floor(rand() * 12);
      const w = 1 + Math.floor(rand() * 12);
      const bitmaps = [0, 1, 2].map(() => randomBitmap(rand, h, w, rand()));
      const rles = bitmaps.map((b) => encodeMask(b, h, w));
      const union = decodeRle(mergeRles(rles));
      const inter = decodeRle(mergeRles(rles, true));
      for (let p = 0; p < h * w; p++) {
        expect(union[p]).to.equal(bitmaps.some((b) => b[p]) ? 1 : 0);
        expect(inter[p]).to.equal(bitmaps.every((b) => b[p]) ? 1 : 0);
      }
      const [a, b] = bitmaps;
      const crowd = trial % 2;
      const i = a.reduce((s, v, p) => s + (v && b[p] ? 1 : 0), 0);
      const u = crowd ? a.reduce((s, v) => s + v, 0) : a.reduce((s, v, p) => s + (v || b[p] ? 1 : 0), 0);
      const got = rleIou([rles[0]], [rles[1]], [crowd]).values[0];
      expect(got).to.equal(i === 0 ? 0 : i / u);
    }
  });

  it('mask IoU of masks of different sizes is -1', () => {
    const a = makeRle(2, 2, [0, 4]);
    const b = makeRle(4, 1, [0, 4]);
    expect(rleIou([a], [b]).values[0]).to.equal(-1);
  });
});

describe('mask API against pycocotools', () => {
  it('rasterises polygons exactly as rleFrPoly (counts, area, box)', () => {
    for (const c of cases.polygons) {
      const rle = rleFromPolygon(c.polygon, c.h, c.w);
      expect(rleToString(rle), JSON.stringify(c.polygon)).to.equal(c.counts);
      expect(rleArea(rle)).to.equal(c.area);
      expect(rleToBbox(rle)).to.deep.equal(c.bbox);
    }
    const big = cases.large;
    expect(rleToString(rleFromPolygon([10.3, 20.1, 900.7, 35.2, 870.4, 640.9, 40.2, 600.6], big.h, big.w))).to.equal(big.counts);
  });

  it('merges multi-part polygons (union and intersection)', () => {
    for (const c of cases.merges) {
      const rles = c.polygons.map((p: number[]) => rleFromPolygon(p, c.h, c.w));
      expect(rleToString(mergeRles(rles))).to.equal(c.union);
      expect(rleToString(mergeRles(rles, true))).to.equal(c.intersection);
      expect(rleToString(rleFromPolygons(c.polygons, c.h, c.w))).to.equal(c.union);
    }
  });

  it('encodes bitmaps as maskUtils.encode', () => {
    for (const c of cases.encodes) expect(rleToString(encodeMask(c.bitmap_row_major, c.h, c.w))).to.equal(c.counts);
  });

  it('mask and box IoU with crowd equal maskUtils.iou bit for bit', () => {
    for (const c of cases.ious) {
      const dt: Rle[] = c.dt.map((s: string) => rleFromString(s, c.h, c.w));
      const gt: Rle[] = c.gt.map((s: string) => rleFromString(s, c.h, c.w));
      const got = rleIou(dt, gt, c.iscrowd);
      expect(Array.from(got.values)).to.deep.equal(c.iou.flat());
    }
    for (const c of cases.box_ious) {
      expect(Array.from(bboxIou(c.dt, c.gt, c.iscrowd).values)).to.deep.equal(c.iou.flat());
    }
  });

  it('reads the shared fixture RLEs: compressed strings round-trip, uncompressed areas match', () => {
    const gt = JSON.parse(readFileSync(join(sharedFixtures(), 'coco_eval', 'gt.json'), 'utf8'));
    let checked = 0;
    for (const a of gt.annotations) {
      if (Array.isArray(a.segmentation)) continue;
      const rle = rleFromCoco(a.segmentation);
      if (typeof a.segmentation.counts === 'string') expect(rleToString(rle)).to.equal(a.segmentation.counts);
      expect(rleArea(rle)).to.equal(a.area);
      checked++;
    }
    expect(checked).to.equal(38);
  });
});
