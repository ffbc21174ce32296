import { z } from 'zod';
import { ConfigError, UserError } from '../../core/errors';
import { METRICS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { BaseMetric, baseMetricOptions } from './base-metric';
import type { ClsMetricSample } from './cls-metric-sample';

const intOrList = z.union([z.number().int().positive(), z.array(z.number().int().positive()).min(1)]);
const thrOrList = z.union([z.number(), z.null(), z.array(z.number().nullable()).min(1)]);

export const accuracyOptions = z
  .object({
    topk: intOrList.default(1),
    thrs: thrOrList.default(0),
    ...baseMetricOptions,
  })
  .strict();
export type AccuracyOptions = z.input<typeof accuracyOptions>;

/**
 * mmpretrain's Accuracy: top-k accuracy in percent (`accuracy/top1`, `accuracy/top5`); a
 * prediction counts only when its score is above the threshold (default 0). With several
 * thresholds the keys gain `_thr-0.50` / `_no-thr`. Equal scores rank by lower class index.
 */
export class Accuracy extends BaseMetric<ClsMetricSample, ClsMetricSample> {
  readonly defaultPrefix = 'accuracy';
  readonly topk: number[];
  readonly thrs: (number | null)[];

  constructor(options: AccuracyOptions = {}, ctx?: BuildContext) {
    const o = accuracyOptions.parse(options);
    super(o.prefix);
    void ctx;
    this.topk = Array.isArray(o.topk) ? o.topk : [o.topk];
    this.thrs = Array.isArray(o.thrs) ? o.thrs : [o.thrs];
  }

  process(_dataBatch: unknown, dataSamples: readonly ClsMetricSample[]): void {
    for (const s of dataSamples) this.results.push(s);
  }

  computeMetrics(results: ClsMetricSample[]): Record<string, number> {
    if (results.length === 0) throw new UserError('Accuracy: no results to evaluate');
    const num = results.length;
    if (results[0].pred_score === undefined) {
      const correct = results.filter((r) => r.pred_label === r.gt_label).length;
      return { top1: (correct * 100) / num };
    }
    const classes = results[0].pred_score.length;
    const maxk = Math.max(...this.topk);
    if (maxk > classes) {
      throw new ConfigError('topk', `Top-${maxk} accuracy is unavailable since the number of categories is ${classes}`);
    }
    const out: Record<string, number> = {};
    const multi = this.thrs.length > 1;
    for (const k of this.topk) {
      for (const thr of this.thrs) {
        let correct = 0;
        for (const r of results) {
          const scores = r.pred_score!;
          const top = scores.map((_, c) => c).sort((a, b) => scores[b] - scores[a]).slice(0, k);
          if (top.some((c) => c === r.gt_label && (thr === null || scores[c] > thr))) correct++;
        }
        const name = `top${k}${multi ? (thr === null ? '_no-thr' : `_thr-${thr.toFixed(2)}`) : ''}`;
        out[name] = (correct * 100) / num;
      }
    }
    return out;
  }
}

METRICS.register(accuracyOptions, (o: AccuracyOptions, ctx: BuildContext) => new Accuracy(o, ctx), {
  name: 'Accuracy',
  summary: "mmpretrain's top-k Accuracy",
});
