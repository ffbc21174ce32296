import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, UserError } from '../../core/errors';
import { METRICS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { CocoEval, CocoGroundTruth, formatFixed3, loadCocoResults, type CocoResult } from '../coco';
import { linspace, npMean } from '../coco/numeric';
import { encodeMask, rleToCoco, type CocoRle, type Rle } from '../../structures/mask';
import { BitmapMasks } from '../../structures/masks';
import { BaseMetric, baseMetricOptions } from './base-metric';
import type { DetMetricSample } from './det-metric-sample';
import { pyRound3 } from './python-round';

/** mmdetection's names for COCOeval.stats entries. */
const COCO_METRIC_NAMES: Record<string, number> = {
  mAP: 0, mAP_50: 1, mAP_75: 2, mAP_s: 3, mAP_m: 4, mAP_l: 5,
  'AR@100': 6, 'AR@300': 7, 'AR@1000': 8, 'AR_s@1000': 9, 'AR_m@1000': 10, 'AR_l@1000': 11,
};
const SUPPORTED = ['bbox', 'segm'] as const;
type DetIouType = (typeof SUPPORTED)[number];

export const cocoMetricOptions = z
  .object({
    ann_file: z.string().nullable().default(null),
    metric: z.union([z.string(), z.array(z.string())]).default('bbox'),
    classwise: z.boolean().default(false),
    proposal_nums: z.array(z.number().int().positive()).min(1).default([100, 300, 1000]),
    iou_thrs: z.union([z.number(), z.array(z.number())]).nullable().default(null),
    metric_items: z.array(z.string()).nullable().default(null),
    format_only: z.boolean().default(false),
    outfile_prefix: z.string().nullable().default(null),
    file_client_args: z.null().optional(),
    backend_args: z.null().optional(),
    sort_categories: z.boolean().default(false),
    use_mp_eval: z.literal(false).default(false),
    ...baseMetricOptions,
  })
  .strict();
export type CocoMetricOptions = z.input<typeof cocoMetricOptions>;

export interface DetResult {
  img_id: number;
  bboxes: readonly (readonly number[])[];
  scores: readonly number[];
  labels: readonly number[];
  masks?: readonly (CocoRle | Rle)[];
  mask_scores?: readonly number[];
}

/**
 * mmdetection 3's CocoMetric: predictions become COCO result files (`<prefix>.bbox.json`,
 * `<prefix>.segm.json`), evaluated with COCOeval (catIds from the class names, every image of
 * the annotation file, maxDets = proposal_nums) into `coco/bbox_mAP`, `coco/bbox_mAP_50`, ...
 * rounded to 3 decimals as mmdetection does. Mask results drop their `bbox` before loading,
 * so mask areas (not box areas) decide small / medium / large.
 */
export class CocoMetric extends BaseMetric<DetMetricSample, DetResult> {
  readonly defaultPrefix = 'coco';
  readonly metrics: DetIouType[];
  readonly iouThrs: number[];
  private readonly opts: z.output<typeof cocoMetricOptions>;
  private gt: CocoGroundTruth | null = null;

  constructor(options: CocoMetricOptions = {}, ctx?: BuildContext) {
    const o = cocoMetricOptions.parse(options);
    super(o.prefix);
    const fail = (key: string, detail: string) => (ctx ? ctx.error(key, detail) : new ConfigError(key, detail));
    this.opts = o;
    const metrics = Array.isArray(o.metric) ? o.metric : [o.metric];
    for (const m of metrics) {
      if (m === 'proposal' || m === 'proposal_fast') throw fail('metric', `'${m}' is not supported yet; use 'bbox' or 'segm'`);
      if (!SUPPORTED.includes(m as DetIouType)) throw fail('metric', `expected 'bbox' or 'segm', got '${m}'`);
    }
    this.metrics = metrics as DetIouType[];
    if (o.format_only && !o.outfile_prefix) throw fail('outfile_prefix', 'format_only needs an outfile_prefix to write the results to');
    if (o.sort_categories) throw fail('sort_categories', 'not supported; categories are evaluated in the annotation file order');
    for (const item of o.metric_items ?? []) {
      if (!(item in COCO_METRIC_NAMES)) throw fail('metric_items', `unknown item '${item}'; expected one of ${Object.keys(COCO_METRIC_NAMES).join(', ')}`);
    }
    this.iouThrs = o.iou_thrs === null ? linspace(0.5, 0.95, Math.round((0.95 - 0.5) / 0.05) + 1) : Array.isArray(o.iou_thrs) ? o.iou_thrs : [o.iou_thrs];
    if (o.ann_file === null) throw fail('ann_file', 'required: building the COCO ground truth from data samples is not supported yet');
  }

  private groundTruth(): CocoGroundTruth {
    this.gt ??= CocoGroundTruth.fromFile(this.opts.ann_file!);
    return this.gt;
  }


  process(_dataBatch: unknown, dataSamples: readonly DetMetricSample[]): void {
    for (const s of dataSamples) {
      const p = s.pred_instances;
      const masks = p.masks instanceof BitmapMasks ? encodeBitmaps(p.masks) : p.masks;
      this.results.push({ img_id: s.img_id, bboxes: p.bboxes, scores: p.scores, labels: p.labels, masks, mask_scores: p.mask_scores });
    }
  }

  /** Category id of each label: the categories named in dataset_meta.classes, else all, in file order. */
  private categoryIds(gt: CocoGroundTruth): number[] {
    const classes = this.datasetMeta?.classes;
    return classes ? gt.categoryIdsByName(classes) : gt.dataset.categories.map((c) => c.id);
  }

  /** mmdetection's results2json. */
  resultsToJson(results: readonly DetResult[], catIds: readonly number[]): Record<DetIouType, CocoResult[]> {
    return detResultsToJson(results, catIds);
  }

  computeMetrics(results: DetResult[]): Record<string, unknown> {
    const gt = this.groundTruth();
    const catIds = this.categoryIds(gt);
    const json = this.resultsToJson(results, catIds);
    const prefix = this.opts.outfile_prefix ?? join(mkdtempSync(join(tmpdir(), 'hrdet-coco-')), 'results');
    writeFileSync(`${prefix}.bbox.json`, JSON.stringify(json.bbox));
    if (json.segm.length) writeFileSync(`${prefix}.segm.json`, JSON.stringify(json.segm));
    if (this.opts.format_only) return {};
    const out: Record<string, unknown> = {};
    for (const metric of this.metrics) {
      if (metric === 'segm' && !results.some((r) => r.masks)) throw new UserError('CocoMetric: metric segm needs pred_instances.masks');
      // as mmdetection: mask results without their box, so areas are mask areas
      const records = metric === 'segm' ? json.segm.map(({ bbox: _b, ...rest }) => rest) : json.bbox;
      if (records.length === 0) break; // mmdetection: 'The testing results of the whole dataset is empty.'
      const ev = new CocoEval(gt, loadCocoResults(gt, records, metric, 'predictions'), metric, {
        catIds,
        imgIds: gt.imageIds,
        maxDets: [...this.opts.proposal_nums],
        iouThrs: this.iouThrs,
      });
      const r = ev.run();
      if (this.opts.classwise) Object.assign(out, this.classwise(metric, r.accumulated, catIds, gt));
      for (const item of this.opts.metric_items ?? ['mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l']) {
        out[`${metric}_${item}`] = pyRound3(r.stats[COCO_METRIC_NAMES[item]]);
      }
      out[`${metric}_mAP_copypaste`] = r.stats.slice(0, 6).map(formatFixed3).join(' ');
    }
    return out;
  }

  /** `<metric>_<class>_precision`: AP of each category (all areas, last maxDets), NaN without GT. */
  private classwise(metric: string, acc: ReturnType<CocoEval['run']>['accumulated'], catIds: readonly number[], gt: CocoGroundTruth): Record<string, number> {
    const { T, R, K, A, M } = acc.shape;
    const out: Record<string, number> = {};
    // COCOeval sorts its catIds; mmdetection indexes by its own (file-order) list, which names
    // the wrong class when a file's categories are not sorted by id: here the id decides
    const sorted = [...catIds].sort((a, b) => a - b);
    for (const catId of catIds) {
      const idx = sorted.indexOf(catId);
      const vals: number[] = [];
      for (let t = 0; t < T; t++)
        for (let r = 0; r < R; r++) {
          const v = acc.precision[(((t * R + r) * K + idx) * A + 0) * M + (M - 1)];
          if (v > -1) vals.push(v);
        }
      out[`${metric}_${gt.categories.get(catId)!.name}_precision`] = pyRound3(vals.length ? npMean(vals) : NaN);
    }
    return out;
  }
}

/**
 * mmdetection's results2json: one `bbox` record (xywh, score, category_id) per predicted
 * instance, and with masks one `segm` record more (the same box, the mask score, the RLE with
 * its counts as a string).
 */
export function detResultsToJson(results: readonly DetResult[], catIds: readonly number[]): Record<DetIouType, CocoResult[]> {
  const bbox: CocoResult[] = [];
  const segm: CocoResult[] = [];
  for (const r of results) {
    r.labels.forEach((label, i) => {
      const category_id = catIds[label];
      if (category_id === undefined) throw new UserError(`CocoMetric: image ${r.img_id}: label ${label} has no category (${catIds.length} classes)`);
      const [x1, y1, x2, y2] = r.bboxes[i];
      const box = [x1, y1, x2 - x1, y2 - y1];
      bbox.push({ image_id: r.img_id, bbox: box, score: r.scores[i], category_id });
      if (r.masks) {
        const m = r.masks[i];
        const segmentation = 'counts' in m && !(m.counts instanceof Uint32Array) ? (m as CocoRle) : rleToCoco(m as Rle);
        segm.push({ image_id: r.img_id, bbox: box, score: (r.mask_scores ?? r.scores)[i], category_id, segmentation });
      }
    });
  }
  return { bbox, segm };
}

/** mmdetection's encode_mask_results: each bitmap as an RLE (cocoapi's column-major runs). */
function encodeBitmaps(m: BitmapMasks): Rle[] {
  return Array.from({ length: m.length }, (_, i) => encodeMask(m.mask(i), m.height, m.width));
}

METRICS.register(cocoMetricOptions, (o: CocoMetricOptions, ctx: BuildContext) => new CocoMetric(o, ctx), {
  name: 'CocoMetric',
  summary: "mmdetection's COCO bbox/segm metric (pycocotools' COCOeval numbers)",
});
