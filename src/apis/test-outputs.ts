import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { UserError } from '../core/errors';
import type { HostTensor } from '../core/host-tensor';
import { readImage } from '../data/image-io/decode-image';
import { CocoGroundTruth, type CocoResult } from '../evaluation/coco';
import { detResultsToJson, type DetResult } from '../evaluation/metrics/coco-metric';
import { metricSampleOf } from '../evaluation/metrics/metric-sample-of';
import type { DetMetricSample } from '../evaluation/metrics/det-metric-sample';
import type { PoseMetricSample } from '../evaluation/metrics/pose-metric-sample';
import type { DataSample } from '../structures/data-sample';
import { DetDataSample } from '../structures/det-data-sample';
import { InstanceData } from '../structures/instance-data';
import { PoseDataSample } from '../structures/pose-data-sample';
import { Hook } from '../training/hooks/hook';
import type { Runner } from '../training/runner/runner';
import { drawSample, type SampleDrawMeta } from './draw-sample';

export interface TestOutputsOptions {
  /** COCO-format results file (detection and pose models). */
  out?: string;
  /** Folder for each test image drawn with its predictions. */
  showDir?: string;
  /** Predictions scoring below this are not drawn (mmdet's and mmpose's 0.3). */
  scoreThr?: number;
}

/** mmpose CocoMetric's defaults for an instance's score: bbox score × mean keypoint score above 0.2. */
const KEYPOINT_SCORE_THR = 0.2;

/**
 * The extra outputs of `hrdet test` (mmdetection's tools/test.py `--out` / `--show-dir`), as a
 * hook on the test loop: every batch's predictions become COCO result records — `bbox` records
 * for detectors, the `segm` records (box, score, RLE) for mask models, `keypoints` records for
 * pose (mmpose's rescoring, before its OKS NMS) — and, with a show dir, a PNG of each test image
 * with its predictions drawn over the original image.
 */
export class TestOutputsHook extends Hook {
  readonly name = 'TestOutputsHook';
  private det: DetResult[] = [];
  private pose: CocoResult[] = [];
  private kinds = new Set<string>();
  private meta: SampleDrawMeta = {};
  /** Top-down pose gives one sample per person: the samples of one image are drawn together. */
  private pendingImage: { path: string; samples: PoseDataSample[] } | null = null;
  private written = new Set<string>();

  constructor(private readonly o: TestOutputsOptions) {
    super();
  }

  override beforeTest(runner: Runner): void {
    const m = runner.testLoop?.dataloader.dataset.metainfo ?? {};
    this.meta = {
      classes: Array.isArray(m.classes) ? (m.classes as string[]) : undefined,
      palette: Array.isArray(m.palette) ? (m.palette as number[][]) : undefined,
      skeleton: Array.isArray(m.skeleton_links) ? (m.skeleton_links as [number, number][]) : undefined,
      skeletonColors: Array.isArray(m.skeleton_link_colors) ? (m.skeleton_link_colors as number[][]) : undefined,
    };
    if (this.o.showDir) mkdirSync(this.o.showDir, { recursive: true });
  }

  override async afterTestIter(_runner: Runner, _idx: number, _batch: unknown, outputs: readonly DataSample[]): Promise<void> {
    for (const s of outputs) {
      this.kinds.add(s.constructor.name);
      if (this.o.out) this.record(s);
      if (this.o.showDir) await this.show(s);
    }
  }

  override async afterTest(runner: Runner): Promise<void> {
    await this.flushPose();
    if (!this.o.out) return;
    const records = this.det.length || this.kinds.has('DetDataSample') ? this.detRecords(runner) : this.pose;
    mkdirSync(dirname(this.o.out), { recursive: true });
    writeFileSync(this.o.out, `${JSON.stringify(records)}\n`);
  }

  private record(s: DataSample): void {
    if (!(s instanceof DetDataSample) && !(s instanceof PoseDataSample)) {
      throw new UserError(`--out writes COCO-format results, which detection and pose models give; a ${s.constructor.name} has none (draw the predictions with --show-dir)`);
    }
    const ms = metricSampleOf(s);
    if (s instanceof DetDataSample) {
      const p = (ms as DetMetricSample).pred_instances;
      this.det.push({ img_id: (ms as DetMetricSample).img_id, bboxes: p.bboxes, scores: p.scores, labels: p.labels, masks: p.masks as DetResult['masks'] });
      return;
    }
    const pm = ms as PoseMetricSample;
    pm.pred_instances.keypoints.forEach((kpts, i) => {
      const ks = pm.pred_instances.keypoint_scores[i];
      const above = ks.filter((v) => v > KEYPOINT_SCORE_THR);
      const bboxScore = pm.pred_instances.bbox_scores?.[i] ?? 1;
      this.pose.push({
        image_id: pm.img_id,
        category_id: pm.category_id ?? 1,
        keypoints: kpts.flatMap(([x, y], k) => [x, y, ks[k]]),
        score: bboxScore * (above.length ? above.reduce((a, b) => a + b, 0) / above.length : 0),
      });
    });
  }

  /** Detections as mmdetection's result files: the segm records (which carry the box too) for mask models. */
  private detRecords(runner: Runner): CocoResult[] {
    const dataset = runner.testLoop!.dataloader.dataset;
    const classes = this.meta.classes;
    const gt = CocoGroundTruth.fromFile(dataset.annFile);
    const catIds = classes ? gt.categoryIdsByName(classes) : gt.dataset.categories.map((c) => c.id);
    const json = detResultsToJson(this.det, catIds);
    return this.det.some((r) => r.masks) ? json.segm : json.bbox;
  }

  private async show(s: DataSample): Promise<void> {
    const path = String(s.metainfo.img_path ?? '');
    if (!path) throw new UserError('--show-dir needs img_path in the predictions\' metas (keep it in the Pack*Inputs meta_keys)');
    if (s instanceof PoseDataSample) {
      if (this.pendingImage && this.pendingImage.path !== path) await this.flushPose();
      this.pendingImage ??= { path, samples: [] };
      this.pendingImage.samples.push(s);
      return;
    }
    await this.draw(path, s);
  }

  private async flushPose(): Promise<void> {
    const p = this.pendingImage;
    this.pendingImage = null;
    if (!p) return;
    const merged = new PoseDataSample(p.samples[0].metainfo);
    merged.pred_instances = new InstanceData({
      keypoints: concat(p.samples.map((s) => s.pred_instances?.keypoints)),
      keypoint_scores: concat(p.samples.map((s) => s.pred_instances?.keypoint_scores)),
    });
    await this.draw(p.path, merged);
  }

  private async draw(path: string, s: DataSample): Promise<void> {
    const img = await readImage(path, { channelOrder: 'rgb' });
    const png = await drawSample(img.channels === 3 ? img : gray3(img), s, this.meta, { which: 'pred', scoreThr: this.o.scoreThr });
    let name = basename(path, extname(path));
    for (let k = 1; this.written.has(name); k++) name = `${basename(path, extname(path))}_${k}`;
    this.written.add(name);
    writeFileSync(join(this.o.showDir!, `${name}.png`), png);
  }
}

/** Host tensors [n_i, ...] stacked along the first axis. */
function concat(ts: (HostTensor | undefined)[]): HostTensor | undefined {
  const present = ts.filter((t): t is HostTensor => t !== undefined);
  if (!present.length) return undefined;
  const n = present.reduce((a, t) => a + t.shape[0], 0);
  const data = new Float32Array(present.reduce((a, t) => a + t.data.length, 0));
  let at = 0;
  for (const t of present) {
    data.set(t.data as Float32Array, at);
    at += t.data.length;
  }
  return { dtype: 'float32', shape: [n, ...present[0].shape.slice(1)], data };
}

function gray3<T extends { data: ArrayLike<number>; height: number; width: number; channels: number }>(img: T) {
  const n = img.height * img.width;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) data[i * 3 + k] = Number(img.data[i * img.channels + Math.min(k, img.channels - 1)]);
  return { data, height: img.height, width: img.width, channels: 3 as const, order: 'rgb' as const };
}
