import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { FileError } from '../../core/errors';
import { DATASETS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { formatZodError } from '../../registry/validation';
import { buildPipeline } from '../transforms/compose';
import type { PoseResults } from '../transforms/pose-results';
import { BaseDataset, baseDatasetOptions, type BaseDatasetConfig } from './base-dataset';
import { list, num, positive, readJson, str } from './coco-dataset';
import { COCO_KEYPOINTS_DATASET_INFO } from './coco-keypoints-metainfo';
import { parsePoseMetainfo, poseDatasetInfoSchema, type PoseMetainfo } from './parse-pose-metainfo';

export const topdownCocoDatasetSchema = z
  .object({
    ...baseDatasetOptions,
    /** mmpose's filter: detected boxes scoring below the threshold are dropped (in every mode). */
    filter_cfg: z.object({ bbox_score_thr: z.number() }).strict().nullable().optional(),
    /** Detected person boxes (a COCO results list) used instead of the ground-truth boxes; test mode only. */
    bbox_file: z.string().nullable().optional(),
    data_mode: z.enum(['topdown', 'bottomup']).default('topdown'),
    /** Only images whose id is a multiple of this are read. */
    sample_interval: z.number().int().positive().default(1),
  })
  .strict();
export type TopdownCocoDatasetOptions = z.output<typeof topdownCocoDatasetSchema>;

/** One person instance as mmpose's BaseCocoStyleDataset.parse_data_info makes it. */
export interface TopdownDataInfo extends PoseResults {
  img_id: number;
  img_path: string;
  bbox: number[][];
  bbox_score: number[];
  keypoints: number[][][];
  keypoints_visible: number[][];
  id: number;
}

export interface TopdownCocoDatasetConfig extends BaseDatasetConfig {
  meta: PoseMetainfo;
  bbox_file: string | null;
  bbox_score_thr: number | null;
  sample_interval: number;
}

/** The metainfo keys mmpose copies into every data info, for the pipeline and the model. */
const META_KEYS = ['dataset_name', 'upper_body_ids', 'lower_body_ids', 'flip_pairs', 'dataset_keypoint_weights', 'flip_indices', 'skeleton_links'] as const;

type Json = Record<string, unknown>;

interface ImageRecord {
  id: number;
  img_path: string;
  width: number;
  height: number;
  at: string;
  crowdIndex?: unknown;
}

/**
 * mmpose's top-down CocoDataset over a COCO person-keypoints file: one item per person
 * instance (mmpose's `data_mode='topdown'`), boxes clipped to the image and made x1 y1 x2 y2,
 * keypoints [1, K, 2] with visibility min(1, v). As mmpose, crowds, instances without labelled
 * keypoints and boxes with no area are left out (in every mode), annotations without `bbox`
 * or `keypoints` are skipped. With `bbox_file` (test mode) the items are the detected person
 * boxes instead, with dummy keypoints. A malformed entry is one FileError naming the file,
 * the entry and the field.
 */
export class TopdownCocoDataset extends BaseDataset<TopdownDataInfo> {
  private readonly meta: PoseMetainfo;
  private readonly opts: TopdownCocoDatasetConfig;
  /** The file's categories (mmpose's metainfo `CLASSES`), known once the file is read. */
  private classes: Json[] | null = null;

  constructor(cfg: TopdownCocoDatasetConfig) {
    super({ ...cfg, lazy_init: true });
    this.meta = cfg.meta;
    this.opts = cfg;
    if (!cfg.lazy_init) this.fullInit();
  }

  get metainfo(): Record<string, unknown> {
    return this.classes ? { ...this.meta, CLASSES: this.classes } : { ...this.meta };
  }

  /** The data info with the metainfo keys the transforms read (flip_indices, body halves, ...). */
  override getDataInfo(i: number): TopdownDataInfo {
    const info = super.getDataInfo(i);
    for (const k of META_KEYS) (info as Record<string, unknown>)[k] = structuredClone(this.meta[k]);
    return info;
  }

  protected loadDataList(): TopdownDataInfo[] {
    const list = this.opts.bbox_file ? this.loadDetections(this.opts.bbox_file) : this.loadAnnotations();
    const thr = this.opts.bbox_score_thr;
    return thr === null ? list : list.filter((d) => !(d.bbox_score[0] < thr));
  }

  private readImages(root: Json): Map<number, ImageRecord> {
    const file = this.annFile;
    const images = new Map<number, ImageRecord>();
    list(root, 'images', file).forEach((im, i) => {
      const at = `images[${i}]`;
      const id = num(im, 'id', file, at);
      if (images.has(id)) throw new FileError(file, `${at}.id: image id ${id} appears twice`);
      const [width, height] = [positive(im, 'width', file, at), positive(im, 'height', file, at)];
      images.set(id, { id, img_path: join(this.imgPrefix, str(im, 'file_name', file, at)), width, height, at, crowdIndex: im.crowdIndex });
    });
    return images;
  }

  /** mmpose's _load_annotations + _get_topdown_data_infos: images in file order, their annotations in file order. */
  private loadAnnotations(): TopdownDataInfo[] {
    const file = this.annFile;
    const root = readJson(file);
    const images = this.readImages(root);
    if (root.categories !== undefined) this.classes = list(root, 'categories', file);
    const perImage = new Map<number, TopdownDataInfo[]>([...images.keys()].map((id) => [id, []]));
    const annIds = new Set<number>();
    list(root, 'annotations', file).forEach((a, i) => {
      const at = `annotations[${i}]`;
      const id = num(a, 'id', file, at);
      if (annIds.has(id)) throw new FileError(file, `${at}.id: annotation id ${id} appears twice`);
      annIds.add(id);
      const imgId = num(a, 'image_id', file, at);
      const img = images.get(imgId);
      if (!img) throw new FileError(file, `${at}.image_id: no image has id ${imgId}`);
      const inst = this.parseInstance(a, img, at);
      if (inst && isValidInstance(inst)) perImage.get(imgId)!.push(inst);
    });
    const n = this.opts.sample_interval;
    return [...images.values()].filter((im) => im.id % n === 0).flatMap((im) => perImage.get(im.id)!);
  }

  /** mmpose's parse_data_info, or null for an annotation without `bbox` or `keypoints` (skipped, as mmpose). */
  private parseInstance(a: Json, img: ImageRecord, at: string): TopdownDataInfo | null {
    if (!('bbox' in a) || !('keypoints' in a)) return null;
    const file = this.annFile;
    const [x, y, w, h] = xywh(a.bbox, file, `${at}.bbox`);
    const clip = (v: number, hi: number) => Math.fround(Math.min(Math.max(v, 0), hi));
    const bbox = [clip(x, img.width - 1), clip(y, img.height - 1), clip(x + w, img.width - 1), clip(y + h, img.height - 1)];
    const K = this.meta.num_keypoints;
    const raw = a.keypoints;
    if (!Array.isArray(raw) || raw.length !== 3 * K || !raw.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      const got = Array.isArray(raw) ? `${raw.length} entries` : (JSON.stringify(raw) ?? 'nothing');
      throw new FileError(file, `${at}.keypoints: expected ${3 * K} numbers (x, y, v for each of the ${K} keypoints of '${this.meta.dataset_name}'), got ${got}`);
    }
    const kpts = Array.from({ length: K }, (_, k) => [Math.fround(raw[3 * k]), Math.fround(raw[3 * k + 1])]);
    const visible = Array.from({ length: K }, (_, k) => Math.min(1, Math.fround(raw[3 * k + 2])));
    const numKeypoints = 'num_keypoints' in a ? num(a, 'num_keypoints', file, at) : kpts.filter((p) => Math.max(p[0], p[1]) !== 0).length;
    const area = 'area' in a ? Math.fround(num(a, 'area', file, at)) : Math.fround(Math.max((bbox[2] - bbox[0]) * (bbox[3] - bbox[1]) * 0.53, 1));
    const info: TopdownDataInfo = {
      img_id: num(a, 'image_id', file, at),
      img_path: img.img_path,
      bbox: [bbox],
      bbox_score: [1],
      num_keypoints: numKeypoints,
      keypoints: [kpts],
      keypoints_visible: [visible],
      area,
      iscrowd: 'iscrowd' in a ? num(a, 'iscrowd', file, at) : 0,
      segmentation: a.segmentation ?? null,
      id: num(a, 'id', file, at),
      category_id: num(a, 'category_id', file, at),
      raw_ann_info: structuredClone(a),
      // as mmdet's dataset: the image entry, which a missing image file is reported against
      ann_source: `${file}: ${img.at} (id ${img.id})`,
    };
    if (img.crowdIndex !== undefined) info.crowd_index = img.crowdIndex;
    return info;
  }

  /** mmpose's _load_detection_results: person detections (category 1) with dummy keypoints, ids counted from 0. */
  private loadDetections(bboxFile: string): TopdownDataInfo[] {
    const images = this.readImages(readJson(this.annFile));
    const root = readJsonList(bboxFile);
    const K = this.meta.num_keypoints;
    const out: TopdownDataInfo[] = [];
    root.forEach((det, i) => {
      const at = `[${i}]`;
      if (num(det, 'category_id', bboxFile, at) !== 1) return;
      const imgId = num(det, 'image_id', bboxFile, at);
      const img = images.get(imgId);
      if (!img) throw new FileError(bboxFile, `${at}.image_id: no image of ${this.annFile} has id ${imgId}`);
      const [x, y, w, h] = xywh(det.bbox, bboxFile, `${at}.bbox`);
      const f = Math.fround;
      out.push({
        img_id: imgId,
        img_path: img.img_path,
        img_shape: [img.height, img.width],
        bbox: [[f(x), f(y), f(f(x) + f(w)), f(f(y) + f(h))]],
        bbox_score: [f(num(det, 'score', bboxFile, at))],
        keypoints: [Array.from({ length: K }, () => [0, 0])],
        keypoints_visible: [new Array(K).fill(1)],
        id: out.length,
        ann_source: `${this.annFile}: ${img.at} (id ${img.id})`,
      });
    });
    return out;
  }
}

/** mmpose's _is_valid_instance: not a crowd, keypoints labelled, a box with area, some keypoint above 0. */
function isValidInstance(d: TopdownDataInfo): boolean {
  if (d.iscrowd) return false;
  if (d.num_keypoints === 0) return false;
  const [x1, y1, x2, y2] = d.bbox[0];
  if (x2 - x1 <= 0 || y2 - y1 <= 0) return false;
  return Math.max(...d.keypoints[0].flat()) > 0;
}

function xywh(v: unknown, file: string, at: string): number[] {
  if (!Array.isArray(v) || v.length < 4 || !v.slice(0, 4).every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new FileError(file, `${at}: expected [x, y, w, h] (4 numbers), got ${JSON.stringify(v) ?? 'nothing'}`);
  }
  return v.slice(0, 4) as number[];
}

function readJsonList(file: string): Json[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FileError(file, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'detection file not found' : `cannot read: ${(e as Error).message}`);
  }
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    throw new FileError(file, `not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(root)) throw new FileError(file, 'expected a list of detections ({image_id, category_id, bbox, score})');
  root.forEach((e, i) => {
    if (!e || typeof e !== 'object' || Array.isArray(e)) throw new FileError(file, `[${i}]: expected an object`);
  });
  return root as Json[];
}

/** The metainfo option: none (COCO), mmpose's `{from_file: '.../coco.py'}`, or a dataset_info dict. */
function poseMeta(metainfo: Record<string, unknown> | null | undefined, ctx: BuildContext): PoseMetainfo {
  const fail = (key: string, detail: string) => ctx.error(`metainfo${key ? `.${key}` : ''}`, detail);
  if (!metainfo) return parsePoseMetainfo(poseDatasetInfoSchema.parse(COCO_KEYPOINTS_DATASET_INFO), fail);
  if ('from_file' in metainfo) {
    const f = metainfo.from_file;
    if (typeof f === 'string' && basename(f) === 'coco.py') return parsePoseMetainfo(poseDatasetInfoSchema.parse(COCO_KEYPOINTS_DATASET_INFO), fail);
    throw fail('from_file', `only mmpose's configs/_base_/datasets/coco.py is built in, got ${JSON.stringify(f)}; give the dataset_info dict itself (dataset_name, keypoint_info, skeleton_info, joint_weights, sigmas)`);
  }
  const parsed = poseDatasetInfoSchema.safeParse(metainfo);
  if (!parsed.success) {
    const [where, what] = formatZodError(parsed.error, 'metainfo');
    throw fail(where, what);
  }
  return parsePoseMetainfo(parsed.data, fail);
}

DATASETS.register(
  topdownCocoDatasetSchema,
  (o: TopdownCocoDatasetOptions, ctx: BuildContext) => {
    if (o.data_mode !== 'topdown') throw ctx.error('data_mode', "only 'topdown' is available (one item per person instance); bottom-up data is not supported yet");
    if (o.bbox_file && !o.test_mode) throw ctx.error('bbox_file', 'detected boxes are only used in test mode (test_mode: true)');
    const meta = poseMeta(o.metainfo, ctx);
    return new TopdownCocoDataset({
      ...o,
      filter_cfg: null,
      meta,
      bbox_file: o.bbox_file ?? null,
      bbox_score_thr: o.filter_cfg?.bbox_score_thr ?? null,
      pipeline: buildPipeline(o.pipeline, ctx),
    });
  },
  { name: 'CocoDataset', scope: 'mmpose', summary: "mmpose's top-down CocoDataset: one item per person instance of a COCO keypoints file" },
);
