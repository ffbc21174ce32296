import { FileError } from '../../core/errors';
import { segmentationToRle, type Rle } from '../../structures/mask';
import type { CocoGroundTruth } from './coco-ground-truth';
import { boxPolygon } from './coco-results';
import type { CocoDetection } from './coco-types';
import type { CocoEvalParams } from './params';

/** A GT annotation as matching needs it. */
export interface EvalGt {
  id: number;
  area: number;
  iscrowd: boolean;
  /** pycocotools' `ignore`: crowd, and for keypoints also no labelled keypoint. */
  ignore: boolean;
  bbox: number[];
  rle?: Rle;
  keypoints?: number[];
}

export interface EvalDt {
  id: number;
  score: number;
  area: number;
  bbox: number[];
  rle?: Rle;
  keypoints?: number[];
}

/** The GT and detections of one image and category, in file order. */
export interface Cell {
  gts: EvalGt[];
  dts: EvalDt[];
}

/** Cells for every (image, category) pair with something in it; key `imgIndex * numCats + catIndex`. */
export interface Prepared {
  cells: Map<number, Cell>;
  numCats: number;
}

/** pycocotools' `_prepare`: group GT and results per image and category; masks for segm. */
export function prepare(gt: CocoGroundTruth, dts: readonly CocoDetection[], p: CocoEvalParams): Prepared {
  const imgIndex = new Map(p.imgIds.map((id, i) => [id, i]));
  const catIndex = new Map(p.catIds.map((id, k) => [id, k]));
  const numCats = p.catIds.length;
  const cells = new Map<number, Cell>();
  const cell = (imageId: number, catId: number): Cell | undefined => {
    const i = imgIndex.get(imageId);
    const k = catIndex.get(catId);
    if (i === undefined || k === undefined) return undefined;
    const key = i * numCats + k;
    let c = cells.get(key);
    if (!c) cells.set(key, (c = { gts: [], dts: [] }));
    return c;
  };
  const segm = p.iouType === 'segm';
  const keypoints = p.iouType === 'keypoints';
  gt.annotations.forEach((a, n) => {
    const c = cell(a.image_id, a.category_id);
    if (!c) return;
    const img = gt.images.get(a.image_id)!;
    let rle: Rle | undefined;
    if (segm) {
      if (!a.segmentation) throw new FileError(gt.source, `annotations[${n}] (id ${a.id}).segmentation: missing (needed for segm)`);
      rle = segmentationToRle(a.segmentation, img.height, img.width);
    }
    let ignore = a.iscrowd === 1;
    if (keypoints) {
      if (a.num_keypoints === undefined || !a.keypoints) {
        throw new FileError(gt.source, `annotations[${n}] (id ${a.id}): keypoints and num_keypoints needed for keypoints`);
      }
      if (a.keypoints.length !== 3 * p.kptOksSigmas.length) {
        throw new FileError(gt.source, `annotations[${n}] (id ${a.id}).keypoints: expected ${3 * p.kptOksSigmas.length} numbers, got ${a.keypoints.length}`);
      }
      ignore = a.num_keypoints === 0 || ignore;
    }
    c.gts.push({ id: a.id, area: a.area, iscrowd: a.iscrowd === 1, ignore, bbox: a.bbox, rle, keypoints: a.keypoints });
  });
  for (const d of dts) {
    const c = cell(d.image_id, d.category_id);
    if (!c) continue;
    if (keypoints && d.keypoints!.length !== 3 * p.kptOksSigmas.length) {
      throw new FileError('results', `record ${d.id - 1}.keypoints: expected ${3 * p.kptOksSigmas.length} numbers, got ${d.keypoints!.length}`);
    }
    if (segm && !d.rle) {
      const img = gt.images.get(d.image_id)!;
      const rle = segmentationToRle(d.segmentation ?? boxPolygon(d.bbox), img.height, img.width);
      c.dts.push({ id: d.id, score: d.score, area: d.area, bbox: d.bbox, rle, keypoints: d.keypoints });
    } else {
      c.dts.push(d); // a detection has every field matching reads
    }
  }
  return { cells, numCats };
}
