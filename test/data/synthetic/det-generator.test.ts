import { expect } from 'chai';
import { cocoRle } from '../../../src/apis/make-dataset';
import { Random } from '../../../src/core/random';
import { DET_CATEGORIES, drawDetImage, type DetAnnotation } from '../../../src/data/synthetic/det-generator';
import { maskArea, polygonMask, type Point } from '../../../src/data/synthetic/raster';
import { evaluateCoco } from '../../../src/evaluation/coco';
import { decodeRle, rleArea, rleFromCoco, rleFromPolygons, rleToBbox, rleToCoco } from '../../../src/structures/mask';

const H = 256;
const W = 256;
const N = 40;
const images = Array.from({ length: N }, (_, i) => drawDetImage(Random.derive(11, 0, i), H, W, cocoRle));
const all = images.flatMap((im, i) => im.annotations.map((a) => ({ ...a, image: i })));

function isPolygon(s: DetAnnotation['segmentation']): s is number[][] {
  return Array.isArray(s);
}

describe('data: synthetic detection images', () => {
  it('has boxes inside the image, valid categories and several objects per image', () => {
    for (const a of all) {
      const [x, y, w, h] = a.bbox;
      expect(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= W && y + h <= H, JSON.stringify(a.bbox)).to.equal(true);
      expect(DET_CATEGORIES.map((c) => c.id)).to.include(a.category_id);
    }
    expect(new Set(all.map((a) => a.category_id)).size).to.equal(DET_CATEGORIES.length);
    const perImage = images.map((im) => im.annotations.filter((a) => !a.iscrowd).length);
    expect(Math.min(...perImage)).to.be.greaterThan(0);
    expect(perImage.reduce((s, n) => s + n, 0) / N).to.be.greaterThan(3);
  });

  it('states areas and boxes of exactly the pixels its masks hold (RLE decoded by the COCO mask API)', () => {
    let rles = 0;
    for (const a of all) {
      if (isPolygon(a.segmentation)) {
        // whole objects: the polygon is what the object was drawn from
        const pts: Point[] = [];
        for (let k = 0; k < a.segmentation[0].length; k += 2) pts.push([a.segmentation[0][k], a.segmentation[0][k + 1]]);
        expect(maskArea(polygonMask(H, W, pts))).to.equal(a.area);
        // and cocoapi's own rasterisation of it agrees up to boundary pixels
        const coco = rleArea(rleFromPolygons(a.segmentation, H, W));
        expect(Math.abs(coco - a.area), `polygon area ${a.area} vs cocoapi ${coco}`).to.be.at.most(Math.max(3, 0.15 * a.area));
      } else {
        rles++;
        const rle = rleFromCoco(a.segmentation);
        expect(a.segmentation.size).to.deep.equal([H, W]);
        expect(rleArea(rle)).to.equal(a.area);
        expect(rleToBbox(rle)).to.deep.equal(a.bbox);
      }
    }
    expect(rles).to.be.greaterThan(5);
  });

  it('has crowds (RLE), occluded objects (RLE of what stays visible) and COCO small, medium and large objects', () => {
    const crowds = all.filter((a) => a.iscrowd);
    expect(crowds.length).to.be.greaterThan(2);
    for (const c of crowds) expect(isPolygon(c.segmentation)).to.equal(false);
    const occluded = all.filter((a) => !a.iscrowd && !isPolygon(a.segmentation));
    expect(occluded.length).to.be.greaterThan(5);
    const objects = all.filter((a) => !a.iscrowd);
    const small = objects.filter((a) => a.area < 32 * 32).length;
    const large = objects.filter((a) => a.area >= 96 * 96).length;
    const medium = objects.length - small - large;
    for (const [name, n] of Object.entries({ small, medium, large })) expect(n, name).to.be.greaterThan(0.08 * objects.length);
  });

  it('never lets a later object hide most of an earlier one', () => {
    for (const im of images) {
      for (const a of im.annotations.filter((x) => !x.iscrowd && !isPolygon(x.segmentation))) {
        // an occluded object keeps at least 45% of itself: its visible mask cannot be a sliver
        const m = decodeRle(rleFromCoco(a.segmentation as { size: [number, number]; counts: string }));
        expect(m.reduce((s, v) => s + v, 0)).to.be.at.least(12);
      }
    }
  });

  it('is ground truth that COCOeval reads and scores 1.0 against itself (bbox and segm)', () => {
    const gt = {
      images: images.map((_, i) => ({ id: i + 1, file_name: `${i}.jpg`, height: H, width: W })),
      annotations: all.map((a, k) => ({ id: k + 1, image_id: a.image + 1, category_id: a.category_id, bbox: a.bbox, area: a.area, iscrowd: a.iscrowd, segmentation: a.segmentation })),
      categories: DET_CATEGORIES,
    };
    const objects = gt.annotations.filter((a) => !a.iscrowd);
    for (const iouType of ['bbox', 'segm'] as const) {
      // results carry RLE: polygons go through cocoapi's rasterisation, as loadRes does
      const rle = (s: DetAnnotation['segmentation']) => (isPolygon(s) ? rleToCoco(rleFromPolygons(s, H, W)) : s);
      const results = objects.map((a) => ({ image_id: a.image_id, category_id: a.category_id, score: 1, ...(iouType === 'bbox' ? { bbox: a.bbox } : { segmentation: rle(a.segmentation) }) }));
      const { stats } = evaluateCoco(gt, results, iouType);
      expect(stats.slice(0, 6), iouType).to.deep.equal([1, 1, 1, 1, 1, 1]);
    }
  });

  it('draws the same image for the same stream and a different one for another', () => {
    const a = drawDetImage(Random.derive(5, 0, 3), 96, 128, cocoRle);
    const b = drawDetImage(Random.derive(5, 0, 3), 96, 128, cocoRle);
    const c = drawDetImage(Random.derive(6, 0, 3), 96, 128, cocoRle);
    expect(Buffer.from(a.image.data).equals(Buffer.from(b.image.data))).to.equal(true);
    expect(a.annotations).to.deep.equal(b.annotations);
    expect(Buffer.from(a.image.data).equals(Buffer.from(c.image.data))).to.equal(false);
    expect([a.image.height, a.image.width, a.image.channels]).to.deep.equal([96, 128, 3]);
  });
});
