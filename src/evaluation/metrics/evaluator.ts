import { ConfigError, UserError } from '../../core/errors';
import type { BaseMetric, DatasetMeta } from './base-metric';

/**
 * mmengine's Evaluator: feeds every batch to each metric and merges their results; two metrics
 * giving the same key is an error (give them different prefixes).
 */
export class Evaluator {
  readonly metrics: BaseMetric[];

  constructor(metrics: BaseMetric | readonly BaseMetric[]) {
    this.metrics = Array.isArray(metrics) ? [...metrics] : [metrics as BaseMetric];
    if (this.metrics.length === 0) throw new ConfigError('evaluator', 'expected at least one metric');
  }

  set datasetMeta(meta: DatasetMeta | null) {
    for (const m of this.metrics) m.datasetMeta = meta;
  }

  /** mmengine's argument order: data samples first, then the batch. */
  process(dataSamples: readonly unknown[], dataBatch: unknown = null): void {
    for (const m of this.metrics) m.process(dataBatch, dataSamples);
  }

  async evaluate(size: number): Promise<Record<string, unknown>> {
    const merged: Record<string, unknown> = {};
    for (const m of this.metrics) {
      for (const [k, v] of Object.entries(await m.evaluate(size))) {
        if (k in merged) {
          throw new UserError(`evaluator: two metrics give '${k}'; give the metrics different prefixes`);
        }
        merged[k] = v;
      }
    }
    return merged;
  }

  /** process every sample, then evaluate over all of them (mmengine's `offline_evaluate`). */
  async offlineEvaluate(dataSamples: readonly unknown[], chunkSize = 1): Promise<Record<string, unknown>> {
    for (let i = 0; i < dataSamples.length; i += chunkSize) this.process(dataSamples.slice(i, i + chunkSize));
    return this.evaluate(dataSamples.length);
  }
}
