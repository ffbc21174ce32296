import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { FileError } from '../../core/errors';
import { DATASETS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { buildPipeline } from '../transforms/compose';
import type { RawInstance, Results } from '../transforms/results';
import { BaseDataset, baseDatasetOptions, type BaseDatasetConfig } from './base-dataset';
import { COCO_CLASSES } from './coco-classes';

export const cocoDatasetSchema = z
  .object({
    ...baseDatasetOptions,
    /** `seg`: the folder of semantic label maps (mmdet's panoptic / with_seg data), one per image. */
    data_prefix: z.object({ img: z.string().default(''), seg: z.string().optional() }).strict().default({ img: '' }),
    seg_map_suffix: z.string().default('.png'),
    backend_args: z.null().optional(),
    return_classes: z.boolean().default(false),
  })
  .strict();
export type CocoDatasetOptions = z.output<typeof cocoDatasetSchema>;

/** One image's data info as mmdet's CocoDataset.parse_data_info makes it. */
export interface CocoDataInfo extends Results {
  img_id: number;
  img_path: string;
  height: number;
  width: number;
  instances: RawInstance[];
}

type Json = Record<string, unknown>;

/**
 * mmdet's CocoDataset over a COCO instances file. Categories are matched to `metainfo.classes`
 * by name (label = position in classes); annotations of categories not in the classes are
 * skipped, as are (as mmdet) `ignore` annotations, boxes outside the image, boxes under one
 * pixel wide or high and annotations with area 0. Boxes become x1 y1 x2 y2, `iscrowd` the
 * ignore flag, `segmentation` stays as polygons or RLE for LoadAnnotations. A malformed file
 * (missing field, negative or zero size, unknown image or category, duplicate id) is one
 * FileError naming the file, the entry and the field.
 */
export class CocoDataset extends BaseDataset<CocoDataInfo> {
  private classes: readonly string[];
  /** Image ids with at least one annotation of a class in `classes` (mmdet's ids_in_cat). */
  private idsWithClassAnn = new Set<number>();

  private segPrefix: string | null;
  private segMapSuffix: string;

  constructor(cfg: BaseDatasetConfig & { data_prefix: { seg?: string }; seg_map_suffix?: string }) {
    super({ ...cfg, lazy_init: true });
    const seg = cfg.data_prefix.seg;
    const root = cfg.data_root ?? '';
    this.segPrefix = seg === undefined ? null : root && !isAbsolute(seg) ? join(root, seg) : seg;
    this.segMapSuffix = cfg.seg_map_suffix ?? '.png';
    this.classes = (cfg.metainfo?.classes as readonly string[] | undefined) ?? COCO_CLASSES;
    if (!cfg.lazy_init) this.fullInit();
  }

  get metainfo(): Record<string, unknown> {
    return { ...this.cfg.metainfo, classes: this.classes };
  }

  protected loadDataList(): CocoDataInfo[] {
    const file = this.annFile;
    const root = readJson(file);
    const cats = list(root, 'categories', file);
    const images = list(root, 'images', file);
    const anns = list(root, 'annotations', file);
    const catIds = new Map<number, string>();
    cats.forEach((c, i) => {
      const at = `categories[${i}]`;
      const id = num(c, 'id', file, at);
      if (catIds.has(id)) throw new FileError(file, `${at}.id: category id ${id} appears twice`);
      catIds.set(id, str(c, 'name', file, at));
    });
    const cat2label = new Map<number, number>();
    for (const [id, name] of catIds) {
      const label = this.classes.indexOf(name);
      if (label >= 0) cat2label.set(id, label);
    }
    const missing = this.classes.filter((c) => ![...catIds.values()].includes(c));
    if (missing.length) throw new FileError(file, `categories: no category named ${missing.map((m) => `'${m}'`).join(', ')} (metainfo.classes must name the file's categories)`);
    const infos = new Map<number, CocoDataInfo>();
    images.forEach((im, i) => {
      const at = `images[${i}]`;
      const id = num(im, 'id', file, at);
      if (infos.has(id)) throw new FileError(file, `${at}.id: image id ${id} appears twice`);
      const [width, height] = [positive(im, 'width', file, at), positive(im, 'height', file, at)];
      const fileName = str(im, 'file_name', file, at);
      const img_path = join(this.imgPrefix, fileName);
      const info: CocoDataInfo = { img_id: id, img_path, height, width, instances: [], ann_source: `${file}: ${at} (id ${id})` };
      // mmdet: data_prefix.seg / (file_name without its extension + seg_map_suffix)
      if (this.segPrefix !== null) info.seg_map_path = join(this.segPrefix, fileName.replace(/\.[^.]*$/, '') + this.segMapSuffix);
      infos.set(id, info);
    });
    const annIds = new Set<number>();
    anns.forEach((a, i) => {
      const at = `annotations[${i}]`;
      const id = num(a, 'id', file, at);
      if (annIds.has(id)) throw new FileError(file, `${at}.id: annotation id ${id} appears twice`);
      annIds.add(id);
      const imgId = num(a, 'image_id', file, at);
      const info = infos.get(imgId);
      if (!info) throw new FileError(file, `${at}.image_id: no image has id ${imgId}`);
      const cat = num(a, 'category_id', file, at);
      if (!catIds.has(cat)) throw new FileError(file, `${at}.category_id: no category has id ${cat}`);
      const inst = parseAnnotation(a, info, cat2label.get(cat), file, at);
      if (cat2label.has(cat)) this.idsWithClassAnn.add(imgId);
      if (inst) info.instances.push(inst);
    });
    return [...infos.values()];
  }

  /** mmdet's filter_data: without annotations of the classes (filter_empty_gt), or under min_size. */
  protected override filterData(list: CocoDataInfo[]): CocoDataInfo[] {
    const f = this.cfg.filter_cfg;
    if (!f) return list;
    return list.filter((d) => (!f.filter_empty_gt || this.idsWithClassAnn.has(d.img_id)) && Math.min(d.width, d.height) >= f.min_size);
  }
}

/** One annotation as an instance, or null when mmdet skips it. */
function parseAnnotation(a: Json, info: CocoDataInfo, label: number | undefined, file: string, at: string): RawInstance | null {
  const bbox = a.bbox;
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new FileError(file, `${at}.bbox: expected [x, y, w, h] (4 numbers), got ${JSON.stringify(bbox) ?? 'nothing'}`);
  }
  const [x, y, w, h] = bbox as number[];
  if (w <= 0 || h <= 0) throw new FileError(file, `${at}.bbox: width and height must be positive, got ${w}x${h}`);
  const area = a.area;
  if (typeof area !== 'number' || area < 0) throw new FileError(file, `${at}.area: expected a number >= 0, got ${JSON.stringify(area) ?? 'nothing'}`);
  if (a.ignore || label === undefined) return null;
  const interW = Math.max(0, Math.min(x + w, info.width) - Math.max(x, 0));
  const interH = Math.max(0, Math.min(y + h, info.height) - Math.max(y, 0));
  if (interW * interH === 0 || area <= 0 || w < 1 || h < 1) return null;
  const inst: RawInstance = { bbox: [x, y, x + w, y + h], bbox_label: label, ignore_flag: a.iscrowd ? 1 : 0 };
  if (a.segmentation) inst.mask = a.segmentation as RawInstance['mask'];
  return inst;
}

export function readJson(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FileError(file, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'annotation file not found' : `cannot read: ${(e as Error).message}`);
  }
  try {
    const v = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Json;
  } catch (e) {
    throw new FileError(file, `not valid JSON (${(e as Error).message})`);
  }
  throw new FileError(file, 'expected a COCO object with images, annotations and categories');
}

export function list(root: Json, key: string, file: string): Json[] {
  const v = root[key];
  if (!Array.isArray(v)) throw new FileError(file, `${key}: missing or not a list`);
  v.forEach((e, i) => {
    if (!e || typeof e !== 'object' || Array.isArray(e)) throw new FileError(file, `${key}[${i}]: expected an object`);
  });
  return v as Json[];
}

export function num(o: Json, key: string, file: string, at: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new FileError(file, `${at}.${key}: expected a number, got ${JSON.stringify(v) ?? 'nothing'}`);
  return v;
}

export function positive(o: Json, key: string, file: string, at: string): number {
  const v = num(o, key, file, at);
  if (v <= 0) throw new FileError(file, `${at}.${key}: must be positive, got ${v}`);
  return v;
}

export function str(o: Json, key: string, file: string, at: string): string {
  const v = o[key];
  if (typeof v !== 'string' || !v) throw new FileError(file, `${at}.${key}: expected a non-empty string, got ${JSON.stringify(v) ?? 'nothing'}`);
  return v;
}

DATASETS.register(
  cocoDatasetSchema,
  (o: CocoDatasetOptions, ctx: BuildContext) => {
    if (o.return_classes) throw ctx.error('return_classes', 'only false is available');
    const classes = o.metainfo?.classes;
    if (classes !== undefined && (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string'))) throw ctx.error('metainfo.classes', 'expected a list of class names');
    return new CocoDataset({ ...o, pipeline: buildPipeline(o.pipeline, ctx) });
  },
  { name: 'CocoDataset', summary: 'mmdet dataset over a COCO instances file (boxes, crowd flags, polygon/RLE masks)' },
);
