import { z } from 'zod';

/** What a dataset tells its metrics (mmengine's `dataset_meta`): class names, keypoint sigmas, ... */
export interface DatasetMeta {
  classes?: readonly string[];
  num_keypoints?: number;
  sigmas?: readonly number[];
  [key: string]: unknown;
}

/** Options every metric takes (mmengine BaseMetric). Single process: results are collected on the CPU. */
export const baseMetricOptions = {
  collect_device: z.literal('cpu').default('cpu'),
  prefix: z.string().nullable().default(null),
};

/**
 * mmengine's BaseMetric contract: `process(dataBatch, dataSamples)` per batch keeps what the
 * metric needs in `results`; `evaluate(size)` computes the metrics over the first `size`
 * results, names them `prefix/key` and clears the results for the next run.
 */
export abstract class BaseMetric<S = unknown, R = unknown> {
  abstract readonly defaultPrefix: string | null;
  datasetMeta: DatasetMeta | null = null;
  results: R[] = [];

  constructor(protected readonly prefixOption: string | null = null) {}

  get prefix(): string | null {
    return this.prefixOption ?? this.defaultPrefix;
  }

  abstract process(dataBatch: unknown, dataSamples: readonly S[]): void;

  abstract computeMetrics(results: R[]): Record<string, unknown> | Promise<Record<string, unknown>>;

  async evaluate(size: number): Promise<Record<string, unknown>> {
    const results = this.results.slice(0, size);
    const metrics = await this.computeMetrics(results);
    this.results = [];
    const prefix = this.prefix;
    return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [prefix ? `${prefix}/${k}` : k, v]));
  }
}
