import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../core/errors';
import { METRICS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { CocoEval, CocoGroundTruth, loadCocoResults, type CocoResult } from '../coco';
import { BaseMetric, baseMetricOptions } from './base-metric';
import { oksNms, type PoseInstance } from './oks-nms';
import type { PoseMetricSample } from './pose-metric-sample';

/** mmpose's COCO person sigmas (configs/_base_/datasets/coco.py), used without a dataset_meta. */
export const MMPOSE_COCO_SIGMAS = [0.026, 0.025, 0.025, 0.035, 0.035, 0.079, 0.079, 0.072, 0.072, 0.062, 0.062, 0.107, 0.107, 0.087, 0.087, 0.089, 0.089];
const STATS_NAMES = ['AP', 'AP .5', 'AP .75', 'AP (M)', 'AP (L)', 'AR', 'AR .5', 'AR .75', 'AR (M)', 'AR (L)'];

export const cocoKeypointMetricOptions = z
  .object({
    ann_file: z.string().nullable().default(null),
    use_area: z.boolean().default(true),
    iou_type: z.literal('keypoints').default('keypoints'),
    score_mode: z.enum(['bbox', 'bbox_keypoint', 'bbox_rle', 'keypoint']).default('bbox_keypoint'),
    keypoint_score_thr: z.number().default(0.2),
    nms_mode: z.enum(['oks_nms', 'none']).default('oks_nms'),
    nms_thr: z.number().default(0.9),
    format_only: z.boolean().default(false),
    pred_converter: z.null().optional(),
    gt_converter: z.null().optional(),
    outfile_prefix: z.string().nullable().default(null),
    ...baseMetricOptions,
  })
  .strict();
export type CocoKeypointMetricOptions = z.input<typeof cocoKeypointMetricOptions>;

interface Instance extends PoseInstance {
  id: number;
  img_id: number;
  category_id: number;
  keypointScores: readonly number[];
  bboxScore: number;
}

/**
 * mmpose 1's CocoMetric (registered as `mmpose.CocoMetric`; plain `CocoMetric` is
 * mmdetection's): instances are de-duplicated by sample id per image, rescored by `score_mode`,
 * filtered by OKS NMS, written as `<prefix>.keypoints.json` and evaluated with COCOeval's OKS
 * into `coco/AP`, `coco/AP .5`, ... `coco/AR (L)` (not rounded).
 */
export class CocoKeypointMetric extends BaseMetric<PoseMetricSample, Instance[]> {
  readonly defaultPrefix = 'coco';
  private readonly opts: z.output<typeof cocoKeypointMetricOptions>;
  private gt: CocoGroundTruth | null = null;

  constructor(options: CocoKeypointMetricOptions = {}, ctx?: BuildContext) {
    const o = cocoKeypointMetricOptions.parse(options);
    super(o.prefix);
    const fail = (key: string, detail: string) => (ctx ? ctx.error(key, detail) : new ConfigError(key, detail));
    if (o.ann_file === null) throw fail('ann_file', 'required: building the COCO ground truth from data samples is not supported yet');
    if (o.format_only && !o.outfile_prefix) throw fail('outfile_prefix', 'format_only needs an outfile_prefix to write the results to');
    this.opts = o;
  }

  private get sigmas(): readonly number[] {
    return this.datasetMeta?.sigmas ?? MMPOSE_COCO_SIGMAS;
  }

  process(_dataBatch: unknown, dataSamples: readonly PoseMetricSample[]): void {
    for (const s of dataSamples) {
      const p = s.pred_instances;
      this.results.push(
        p.keypoints.map((kpts, i) => {
          const xs = kpts.map((k) => k[0]);
          const ys = kpts.map((k) => k[1]);
          const area = p.areas?.[i] ?? (Math.max(...xs) - Math.min(...xs)) * (Math.max(...ys) - Math.min(...ys));
          return {
            id: s.id,
            img_id: s.img_id,
            category_id: s.category_id ?? 1,
            keypoints: kpts.flatMap((k, j) => [k[0], k[1], p.keypoint_scores[i][j]]),
            keypointScores: p.keypoint_scores[i],
            bboxScore: p.bbox_scores?.[i] ?? 1,
            area,
            score: 0,
          };
        }),
      );
    }
  }

  private score(inst: Instance): number {
    const ks = inst.keypointScores;
    const mean = ks.reduce((a, b) => a + b, 0) / ks.length;
    switch (this.opts.score_mode) {
      case 'bbox':
        return inst.bboxScore;
      case 'keypoint':
        return mean;
      case 'bbox_rle':
        return inst.bboxScore + mean + Math.max(...ks);
      default: {
        let sum = 0;
        let n = 0;
        for (const s of ks) if (s > this.opts.keypoint_score_thr) (sum += s), n++;
        return inst.bboxScore * (n ? sum / n : 0);
      }
    }
  }

  /** Per image (first-seen order): sorted by sample id, duplicates of an id dropped, rescored, NMS. */
  private selectInstances(results: Instance[][]): Instance[] {
    const byImage = new Map<number, Instance[]>();
    for (const inst of results.flat()) {
      if (!byImage.has(inst.img_id)) byImage.set(inst.img_id, []);
      byImage.get(inst.img_id)!.push(inst);
    }
    const out: Instance[] = [];
    for (const list of byImage.values()) {
      const sorted = [...list].sort((a, b) => a.id - b.id).filter((x, i, arr) => i === 0 || arr[i - 1].id !== x.id);
      for (const inst of sorted) inst.score = this.score(inst);
      const kept = this.opts.nms_mode === 'none' ? sorted : oksNms(sorted, this.opts.nms_thr, this.sigmas).map((i) => sorted[i]);
      out.push(...kept);
    }
    return out;
  }

  computeMetrics(results: Instance[][]): Record<string, unknown> {
    const records: CocoResult[] = this.selectInstances(results).map((i) => ({
      image_id: i.img_id,
      category_id: i.category_id,
      keypoints: i.keypoints,
      score: i.score,
    }));
    const prefix = this.opts.outfile_prefix ?? join(mkdtempSync(join(tmpdir(), 'hrdet-coco-')), 'results');
    writeFileSync(`${prefix}.keypoints.json`, JSON.stringify(records, null, 4));
    if (this.opts.format_only) return {};
    const gt = this.groundTruth();
    const gtView = this.opts.use_area ? gt : withBoxAreas(gt);
    const ev = new CocoEval(gtView, loadCocoResults(gtView, records, 'keypoints', 'predictions'), 'keypoints', {
      kptOksSigmas: this.sigmas,
    });
    const r = ev.run();
    return Object.fromEntries(STATS_NAMES.map((n, i) => [n, r.stats[i]]));
  }

  private groundTruth(): CocoGroundTruth {
    this.gt ??= CocoGroundTruth.fromFile(this.opts.ann_file!);
    return this.gt;
  }

}

/** xtcocotools with use_area=False: OKS scales by 0.53 of the GT box area instead of `area`. */
function withBoxAreas(gt: CocoGroundTruth): CocoGroundTruth {
  const annotations = gt.dataset.annotations.map((a) => ({ ...a, area: a.bbox[2] * a.bbox[3] * 0.53 }));
  return new CocoGroundTruth({ ...gt.dataset, annotations }, gt.source);
}

METRICS.register(cocoKeypointMetricOptions, (o: CocoKeypointMetricOptions, ctx: BuildContext) => new CocoKeypointMetric(o, ctx), {
  name: 'CocoMetric',
  scope: 'mmpose',
  summary: "mmpose's COCO keypoint metric (OKS AP/AR), as mmpose.CocoMetric",
});
