import { FileError } from '../../core/errors';
import { rleArea, rleFromCoco, rleToBbox, type Rle } from '../../structures/mask';
import type { CocoGroundTruth } from './coco-ground-truth';
import type { CocoDetection, CocoResult } from './coco-types';
import type { IouType } from './params';

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Results as pycocotools' `COCO.loadRes` reads them, after checking every record: ids are
 * 1..N in file order, and which of area/bbox are derived depends on the FIRST record, as there:
 * with a `bbox` the area is the box's w*h (even when masks are evaluated), else with a
 * `segmentation` the mask's pixel count (and its box), else the keypoints' extent.
 */
export function loadCocoResults(gt: CocoGroundTruth, records: unknown, iouType: IouType, source = 'results'): CocoDetection[] {
  if (!Array.isArray(records)) throw new FileError(source, 'expected a JSON array of result records');
  const rles = records.map((r, i) => checkRecord(gt, r, i, iouType, source));
  const anns = records as CocoResult[];
  if (anns.length === 0) return [];
  const first = anns[0];
  const kind = first.bbox !== undefined && first.bbox.length > 0 ? 'bbox' : first.segmentation !== undefined ? 'segm' : 'keypoints';
  return anns.map((a, i) => toDetection(a, i + 1, kind, rles[i], source));
}

function toDetection(a: CocoResult, id: number, kind: IouType, rle: Rle | undefined, source: string): CocoDetection {
  const { image_id, category_id, score } = a;
  if (kind === 'bbox') {
    const bb = a.bbox;
    if (!bb) throw new FileError(source, `record ${id - 1}: bbox missing (the first record has one, so all need one)`);
    // without a segmentation, segm evaluation rasterises the box (see boxPolygon)
    return { id, image_id, category_id, score, bbox: bb, area: bb[2] * bb[3], segmentation: a.segmentation, rle, keypoints: a.keypoints };
  }
  if (kind === 'segm') {
    if (!a.segmentation || !rle) {
      throw new FileError(source, `record ${id - 1}: segmentation missing (the first record has one, so all need one)`);
    }
    return { id, image_id, category_id, score, area: rleArea(rle), bbox: a.bbox ?? rleToBbox(rle), segmentation: a.segmentation, rle };
  }
  const kp = a.keypoints;
  if (!kp) throw new FileError(source, `record ${id - 1}: keypoints missing (the first record has them, so all need them)`);
  const xs = kp.filter((_, j) => j % 3 === 0);
  const ys = kp.filter((_, j) => j % 3 === 1);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  return { id, image_id, category_id, score, area: (x1 - x0) * (y1 - y0), bbox: [x0, y0, x1 - x0, y1 - y0], keypoints: kp };
}

/** Throws on a record evaluation cannot use; returns its mask when it has one. */
function checkRecord(gt: CocoGroundTruth, r: unknown, i: number, iouType: IouType, source: string): Rle | undefined {
  const rec = r as Record<string, unknown>;
  const fail = (field: string, detail: string) => new FileError(source, `record ${i}${field ? `.${field}` : ''}: ${detail}`);
  if (!rec || typeof rec !== 'object' || Array.isArray(rec)) throw fail('', 'expected an object');
  if (!isNum(rec.image_id)) throw fail('image_id', 'expected a number');
  if (!gt.images.has(rec.image_id)) throw fail('image_id', `unknown image id ${rec.image_id} (not in the ground truth)`);
  if (!isNum(rec.category_id)) throw fail('category_id', 'expected a number');
  if (!gt.categories.has(rec.category_id)) {
    throw fail('category_id', `unknown category id ${rec.category_id} (not in the ground truth)`);
  }
  if (!isNum(rec.score)) throw fail('score', 'expected a finite number');
  if (rec.bbox !== undefined && !(Array.isArray(rec.bbox) && rec.bbox.length === 4 && rec.bbox.every(isNum))) {
    throw fail('bbox', 'expected [x, y, w, h]');
  }
  const rle = rec.segmentation !== undefined ? checkRle(rec.segmentation, fail) : undefined;
  if (rec.keypoints !== undefined) {
    const kp = rec.keypoints;
    if (!Array.isArray(kp) || kp.length === 0 || kp.length % 3 !== 0 || !kp.every(isNum)) {
      throw fail('keypoints', 'expected [x1, y1, s1, x2, y2, s2, ...]');
    }
  }
  // as loadRes: a box stands in for a mask (its rectangle) and a mask for a box (its extent)
  if (iouType === 'keypoints' && rec.keypoints === undefined) throw fail('keypoints', 'missing (needed for iou type keypoints)');
  const names = gt.categories.get(rec.category_id)!.keypoints;
  if (iouType === 'keypoints' && names && (rec.keypoints as number[]).length !== 3 * names.length) {
    throw fail('keypoints', `expected ${3 * names.length} numbers (${names.length} keypoints), got ${(rec.keypoints as number[]).length}`);
  }
  if (iouType !== 'keypoints' && rec.bbox === undefined && rec.segmentation === undefined) {
    throw fail('', `has neither bbox nor segmentation (needed for iou type ${iouType})`);
  }
  return rle;
}

function checkRle(segm: unknown, fail: (field: string, detail: string) => Error): Rle {
  const s = segm as { size?: unknown; counts?: unknown };
  const sizeOk = Array.isArray(s?.size) && s.size.length === 2 && s.size.every((v) => Number.isInteger(v) && v >= 0);
  const countsOk = typeof s?.counts === 'string' || (Array.isArray(s?.counts) && s.counts.every((v) => Number.isInteger(v) && v >= 0));
  if (!sizeOk || !countsOk) throw fail('segmentation', 'expected an RLE {size: [h, w], counts: string}');
  try {
    return rleFromCoco(s as never);
  } catch (e) {
    throw fail('segmentation.counts', (e as Error).message);
  }
}

/** The polygon loadRes gives a box result that has no segmentation: `[[x1, y1, x1, y2, x2, y2, x2, y1]]`. */
export function boxPolygon(bb: readonly number[]): number[][] {
  const [x1, y1, x2, y2] = [bb[0], bb[1], bb[0] + bb[2], bb[1] + bb[3]];
  return [[x1, y1, x1, y2, x2, y2, x2, y1]];
}
