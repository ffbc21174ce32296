import { z } from 'zod';
import { UserError } from '../../core/errors';
import { METRICS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { BaseMetric, baseMetricOptions } from './base-metric';
import { npRound2 } from './python-round';
import { areasToMetrics, intersectAndUnion, nanMean, sumAreas, type SegAreas, type SegMetricName } from './seg-areas';
import type { SegMetricSample } from './seg-metric-sample';

export const iouMetricOptions = z
  .object({
    ignore_index: z.number().int().default(255),
    iou_metrics: z.array(z.enum(['mIoU', 'mDice', 'mFscore'])).min(1).default(['mIoU']),
    nan_to_num: z.number().nullable().default(null),
    beta: z.number().positive().default(1),
    output_dir: z.null().optional(),
    format_only: z.literal(false).default(false),
    ...baseMetricOptions,
  })
  .strict();
export type IoUMetricOptions = z.input<typeof iouMetricOptions>;

/** Per-class values of the last computeMetrics (fractions; NaN for classes absent from GT and prediction). */
export interface SegClassTable {
  classes: string[];
  values: Record<string, number[]>;
}

/**
 * mmseg 1's IoUMetric: per-image intersection / union / prediction / label pixel counts per class
 * (GT `ignore_index` pixels left out), summed over the dataset; returns `aAcc`, `mIoU`, `mAcc`
 * (and `mDice`, `mFscore`, `mPrecision`, `mRecall` as asked) in percent rounded to 2 decimals,
 * means over the classes that are not NaN. The per-class table is kept in `classTable`.
 */
export class IoUMetric extends BaseMetric<SegMetricSample, SegAreas> {
  readonly defaultPrefix = null;
  classTable: SegClassTable | null = null;
  private readonly opts: z.output<typeof iouMetricOptions>;

  constructor(options: IoUMetricOptions = {}, ctx?: BuildContext) {
    const o = iouMetricOptions.parse(options);
    super(o.prefix);
    void ctx;
    this.opts = o;
  }

  private get classes(): readonly string[] {
    const classes = this.datasetMeta?.classes;
    if (!classes) throw new UserError('IoUMetric: dataset_meta.classes is needed to know the number of classes');
    return classes;
  }

  process(_dataBatch: unknown, dataSamples: readonly SegMetricSample[]): void {
    const n = this.classes.length;
    for (const s of dataSamples) {
      if (s.pred_sem_seg.length !== s.width * s.height || s.gt_sem_seg.length !== s.width * s.height) {
        throw new UserError(`IoUMetric: label maps must both hold ${s.height}x${s.width} values`);
      }
      this.results.push(intersectAndUnion(s.pred_sem_seg, s.gt_sem_seg, n, this.opts.ignore_index));
    }
  }

  computeMetrics(results: SegAreas[]): Record<string, number> {
    const classes = [...this.classes];
    const { aAcc, perClass } = areasToMetrics(sumAreas(results, classes.length), this.opts.iou_metrics as SegMetricName[], this.opts.beta);
    const fill = (v: number) => (Number.isNaN(v) && this.opts.nan_to_num !== null ? this.opts.nan_to_num : v);
    const values = Object.fromEntries(Object.entries(perClass).map(([k, v]) => [k, v.map(fill)]));
    this.classTable = { classes, values };
    const out: Record<string, number> = { aAcc: npRound2(fill(aAcc) * 100) };
    for (const [k, v] of Object.entries(values)) out[`m${k}`] = npRound2(nanMean(v) * 100);
    return out;
  }
}

METRICS.register(iouMetricOptions, (o: IoUMetricOptions, ctx: BuildContext) => new IoUMetric(o, ctx), {
  name: 'IoUMetric',
  summary: "mmseg's IoUMetric (aAcc, mIoU, mAcc; mDice, mFscore)",
});
