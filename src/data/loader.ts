import { z } from 'zod';
import { ConfigError, UserError } from '../core/errors';
import { Random } from '../core/random';
import type { DataBatch } from '../models/data-preprocessors/data-preprocessor';
import type { DataSample } from '../structures/data-sample';
import { DATASETS } from '../registry/registries';
import { build } from '../registry/container';
import { formatZodError } from '../registry/validation';
import type { Container } from 'inversify';
import type { BaseDataset } from './datasets/base-dataset';
import { DefaultSampler, defaultSamplerSchema } from './default-sampler';
import type { PackedSample } from './transforms/pack-det-inputs';

export const dataLoaderSchema = z
  .object({
    batch_size: z.number().int().positive().default(1),
    /** Samples are loaded on the calling thread for now, whatever the count (the batches are the same). */
    num_workers: z.number().int().min(0).default(0),
    persistent_workers: z.boolean().default(false),
    pin_memory: z.boolean().default(false),
    drop_last: z.boolean().default(false),
    sampler: defaultSamplerSchema.default({ type: 'DefaultSampler' }),
    batch_sampler: z.null().optional(),
    collate_fn: z.object({ type: z.literal('pseudo_collate') }).strict().optional(),
    dataset: z.record(z.unknown()),
  })
  .strict();
export type DataLoaderOptions = z.input<typeof dataLoaderSchema>;

/**
 * mmengine's data loader for one process: the sampler's order cut into batches of
 * `batch_size` (the last one shorter unless `drop_last`), each sample through the dataset's
 * pipeline, collated as mmengine's pseudo_collate into the DataBatch the data preprocessors
 * take. Each sample's random transforms draw from a generator derived from (seed, epoch,
 * index), so a seed fixes the whole stream, in any order of loading.
 */
export class DataLoader<S extends DataSample = DataSample> {
  private epoch = 0;

  constructor(
    readonly dataset: BaseDataset,
    readonly sampler: DefaultSampler,
    readonly batchSize: number,
    readonly dropLast = false,
  ) {}

  setEpoch(epoch: number): void {
    this.epoch = epoch;
    this.sampler.setEpoch(epoch);
  }

  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<DataBatch<S>> {
    yield* this.batches(0);
  }

  /**
   * The batches of the current epoch from batch `start` on; the ones before are not loaded
   * (a resumed run skips what it already trained on without reading it).
   */
  async *batches(start = 0): AsyncGenerator<DataBatch<S>> {
    const order = this.sampler.indices();
    for (let b = start; b < this.length; b++) {
      const idx = order.slice(b * this.batchSize, (b + 1) * this.batchSize);
      const items = [];
      for (const i of idx) items.push((await this.dataset.getItem(i, Random.derive(this.sampler.seed, this.epoch, i))) as unknown as PackedSample<S>);
      for (const [k, it] of items.entries()) {
        if (!it.inputs || !it.data_samples) throw new UserError(`${this.dataset.annFile}: item ${idx[k]} was not packed: end the pipeline with a Pack*Inputs transform`);
      }
      yield { inputs: items.map((it) => it.inputs), data_samples: items.map((it) => it.data_samples) };
    }
  }
}

/**
 * A DataLoader from an mm* `*_dataloader` config dict (`path` names it in errors; `seed` is
 * the sampler's seed when the config gives none — the runner passes its own, as mmengine).
 */
export function buildDataLoader<S extends DataSample = DataSample>(cfg: unknown, opts: { path?: string; container?: Container; seed?: number } = {}): DataLoader<S> {
  const path = opts.path ?? 'train_dataloader';
  const parsed = dataLoaderSchema.safeParse(cfg);
  if (!parsed.success) {
    const [where, what] = formatZodError(parsed.error, 'data loader');
    throw new ConfigError(where ? `${path}.${where}` : path, what);
  }
  const o = parsed.data;
  const dataset = build(DATASETS, o.dataset, { path: `${path}.dataset`, container: opts.container }) as BaseDataset;
  const sampler = new DefaultSampler(dataset.length, o.sampler.shuffle, o.sampler.seed ?? opts.seed ?? null);
  return new DataLoader<S>(dataset, sampler, o.batch_size, o.drop_last);
}
