import { FileError } from '../../core/errors';
import { readJsonFile } from './read-json-file';
import type { CocoAnnotation, CocoCategory, CocoDatasetJson, CocoImage } from './coco-types';

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumArray = (v: unknown, len?: number): v is number[] =>
  Array.isArray(v) && (len === undefined || v.length === len) && v.every(isNum);

/**
 * A validated COCO ground truth with the indexes COCOeval reads (pycocotools' `COCO`):
 * images and categories by id, annotations grouped per image and category in file order.
 */
export class CocoGroundTruth {
  readonly images = new Map<number, CocoImage>();
  readonly categories = new Map<number, CocoCategory>();
  readonly annotations: CocoAnnotation[];
  /** Image ids in file order (mmdetection's `get_img_ids`). */
  readonly imageIds: number[];

  constructor(
    readonly dataset: CocoDatasetJson,
    readonly source = 'ground truth',
  ) {
    const fail = (where: string, detail: string) => new FileError(source, `${where}: ${detail}`);
    if (!dataset || typeof dataset !== 'object' || Array.isArray(dataset)) {
      throw fail('top level', 'expected a COCO object with images, annotations and categories');
    }
    for (const key of ['images', 'annotations', 'categories'] as const) {
      if (!Array.isArray(dataset[key])) throw fail(key, `expected an array, got ${typeof dataset[key]}`);
    }
    dataset.images.forEach((img, i) => {
      if (!img || !isNum(img.id)) throw fail(`images[${i}].id`, 'expected a number');
      for (const f of ['width', 'height'] as const) {
        if (!isNum(img[f]) || img[f] <= 0) throw fail(`images[${i}] (id ${img.id}).${f}`, 'expected a positive number');
      }
      if (this.images.has(img.id)) throw fail(`images[${i}].id`, `duplicate image id ${img.id}`);
      this.images.set(img.id, img);
    });
    dataset.categories.forEach((c, i) => {
      if (!c || !isNum(c.id)) throw fail(`categories[${i}].id`, 'expected a number');
      if (this.categories.has(c.id)) throw fail(`categories[${i}].id`, `duplicate category id ${c.id}`);
      this.categories.set(c.id, c);
    });
    const ids = new Set<number>();
    this.annotations = dataset.annotations.map((a, i) => {
      const at = (f: string) => `annotations[${i}]${a && isNum(a.id) ? ` (id ${a.id})` : ''}.${f}`;
      if (!a || !isNum(a.id)) throw fail(`annotations[${i}].id`, 'expected a number');
      if (ids.has(a.id)) throw fail(at('id'), `duplicate annotation id ${a.id}`);
      ids.add(a.id);
      if (!this.images.has(a.image_id)) throw fail(at('image_id'), `unknown image id ${a.image_id}`);
      if (!this.categories.has(a.category_id)) throw fail(at('category_id'), `unknown category id ${a.category_id}`);
      if (!isNum(a.area)) throw fail(at('area'), 'expected a number');
      if (!isNumArray(a.bbox, 4)) throw fail(at('bbox'), 'expected [x, y, w, h]');
      if (a.iscrowd !== undefined && a.iscrowd !== 0 && a.iscrowd !== 1 && typeof a.iscrowd !== 'boolean') {
        throw fail(at('iscrowd'), `expected 0 or 1, got ${JSON.stringify(a.iscrowd)}`);
      }
      if (a.keypoints !== undefined && !isNumArray(a.keypoints)) throw fail(at('keypoints'), 'expected numbers');
      return { ...a, iscrowd: a.iscrowd ? 1 : 0 };
    });
    this.imageIds = dataset.images.map((img) => img.id);
  }

  /** A COCO annotation file, read and validated. */
  static fromFile(file: string): CocoGroundTruth {
    return new CocoGroundTruth(readJsonFile(file) as CocoDatasetJson, file);
  }

  /** Category ids sorted ascending (pycocotools' default `catIds`). */
  sortedCategoryIds(): number[] {
    return [...this.categories.keys()].sort((a, b) => a - b);
  }

  /**
   * Ids of the categories named in `names`, in the file's category order: pycocotools'
   * `getCatIds(catNms=...)`, which mmdetection uses to map label i to a category id.
   */
  categoryIdsByName(names: readonly string[]): number[] {
    const all = [...this.categories.values()];
    const missing = names.filter((n) => !all.some((c) => c.name === n));
    if (missing.length) throw new FileError(this.source, `categories: no category named '${missing[0]}'`);
    const wanted = new Set(names);
    return all.filter((c) => wanted.has(c.name)).map((c) => c.id);
  }
}
