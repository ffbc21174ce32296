import { existsSync } from 'node:fs';
import { z } from 'zod';
import type { Container } from 'inversify';
import { ConfigError } from '../core/errors';
import { loadedPluginFiles } from '../config/plugins';
import type { DataBatch } from '../models/data-preprocessors/data-preprocessor';
import type { DataSample } from '../structures/data-sample';
import { DATA_SAMPLERS, DATASETS } from '../registry/registries';
import { build } from '../registry/container';
import { currentDefaultScope } from '../registry/registry';
import { ConsoleLogger, SERVICES, type Logger } from '../registry/services';
import { formatZodError } from '../registry/validation';
import type { BatchSampler } from './aspect-ratio-batch-sampler';
import type { BaseDataset } from './datasets/base-dataset';
import { DefaultSampler, defaultSamplerSchema } from './default-sampler';
import { loadSamples } from './load-samples';
import type { LoaderWorkerData } from './loader-worker';
import type { PackedSample } from './transforms/pack-det-inputs';
import { WorkerFallback, WorkerPool } from './worker-pool';

export const dataLoaderSchema = z
  .object({
    batch_size: z.number().int().positive().default(1),
    /** Worker threads that decode and transform (0: on the calling thread); the batches are the same. */
    num_workers: z.number().int().min(0).default(0),
    /** Keep the workers between passes over the data (torch's meaning). */
    persistent_workers: z.boolean().default(false),
    /** Batches each worker loads ahead (torch's default 2). */
    prefetch_factor: z.number().int().positive().nullable().optional(),
    pin_memory: z.boolean().default(false),
    drop_last: z.boolean().default(false),
    sampler: defaultSamplerSchema.default({ type: 'DefaultSampler' }),
    batch_sampler: z.object({ type: z.string() }).passthrough().nullable().optional(),
    collate_fn: z.object({ type: z.literal('pseudo_collate') }).strict().optional(),
    dataset: z.record(z.unknown()),
  })
  .strict();
export type DataLoaderOptions = z.input<typeof dataLoaderSchema>;

export interface WorkerOptions {
  numWorkers: number;
  prefetchFactor: number;
  persistentWorkers: boolean;
  /** What the workers build: the dataset's config and where it sits in the config. */
  datasetCfg?: unknown;
  datasetPath?: string;
  /** The default scope the dataset was built under (a worker builds under the same). */
  defaultScope?: string | null;
  logger?: Logger;
}

/**
 * mmengine's data loader for one process: the sampler's order cut into batches of
 * `batch_size` (or by a batch sampler), each sample through the dataset's pipeline, collated
 * as mmengine's pseudo_collate into the DataBatch the data preprocessors take. Each sample's
 * random transforms draw from a generator derived from (seed, epoch, index), so a seed fixes
 * the whole stream, whichever thread loads it: with `num_workers` > 0 worker threads load whole
 * batches (batch b on worker b mod n, `prefetch_factor` batches ahead each) and the batches
 * come back in the sampler's order.
 */
export class DataLoader<S extends DataSample = DataSample> {
  private epoch = 0;
  private pool: WorkerPool | null = null;
  /** Set once the workers cannot load this dataset: everything loads on this thread then. */
  private fallbackReason: string | null = null;
  readonly workers: WorkerOptions;

  constructor(
    readonly dataset: BaseDataset,
    readonly sampler: DefaultSampler,
    readonly batchSize: number,
    readonly dropLast = false,
    readonly batchSampler: BatchSampler | null = null,
    workers: Partial<WorkerOptions> = {},
  ) {
    this.workers = { numWorkers: 0, prefetchFactor: 2, persistentWorkers: false, ...workers };
  }

  setEpoch(epoch: number): void {
    this.epoch = epoch;
    this.sampler.setEpoch(epoch);
  }

  get length(): number {
    const n = this.dataset.length;
    if (this.batchSampler) return this.batchSampler.length(n);
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Why the workers were given up for this thread, or null. */
  get workerFallback(): string | null {
    return this.fallbackReason;
  }

  /** Worker threads running now (0 between passes without persistent_workers). */
  get liveWorkers(): number {
    return this.pool?.alive ?? 0;
  }

  /** The batches of the current epoch, as lists of dataset indices. */
  batchIndices(): number[][] {
    const order = this.sampler.indices();
    if (this.batchSampler) return this.batchSampler.batches(order);
    const out: number[][] = [];
    for (let b = 0; b < this.length; b++) out.push(order.slice(b * this.batchSize, (b + 1) * this.batchSize));
    return out;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<DataBatch<S>> {
    yield* this.batches(0);
  }

  /**
   * The batches of the current epoch from batch `start` on; the ones before are not loaded
   * (a resumed run skips what it already trained on without reading it). Stopping early (break,
   * an error) ends the workers unless they persist; idle persistent workers never keep the
   * process alive, and `close` ends them.
   */
  async *batches(start = 0): AsyncGenerator<DataBatch<S>> {
    const all = this.batchIndices().slice(start);
    const pool = await this.workerPool();
    if (!pool) {
      for (const idx of all) yield this.collate(await loadSamples(this.dataset, idx, this.sampler.seed, this.epoch));
      return;
    }
    const epoch = this.epoch;
    const ahead = pool.size * this.workers.prefetchFactor;
    const queued: Promise<PackedSample<unknown>[]>[] = [];
    const submit = (b: number) => {
      const p = pool.load(b % pool.size, epoch, all[b]);
      p.catch(() => undefined); // awaited in order below; a rejection before then is not unhandled
      queued[b] = p;
    };
    let sent = 0;
    let failed = false;
    try {
      for (let b = 0; b < all.length; b++) {
        while (sent < all.length && sent < b + ahead) submit(sent++);
        let items: PackedSample<unknown>[];
        try {
          items = await queued[b];
        } catch (e) {
          if (!(e instanceof WorkerFallback)) throw e;
          this.giveUpWorkers(e.message);
          for (const idx of all.slice(b)) yield this.collate(await loadSamples(this.dataset, idx, this.sampler.seed, epoch));
          return;
        }
        delete queued[b];
        yield this.collate(items);
      }
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      // an error leaves workers in an unknown state: never keep those
      if (failed || !this.workers.persistentWorkers || this.fallbackReason) await this.close();
    }
  }

  /** End the worker threads (a later pass starts new ones). */
  async close(): Promise<void> {
    const p = this.pool;
    this.pool = null;
    await p?.close();
  }

  private collate(items: PackedSample<unknown>[]): DataBatch<S> {
    return { inputs: items.map((it) => it.inputs), data_samples: items.map((it) => it.data_samples as S) };
  }

  private async workerPool(): Promise<WorkerPool | null> {
    const w = this.workers;
    if (w.numWorkers === 0 || this.fallbackReason) return null;
    if (this.pool) return this.pool;
    if (w.datasetCfg === undefined) {
      this.giveUpWorkers('the loader was made without a dataset config for the workers to build');
      return null;
    }
    const data: LoaderWorkerData = {
      dataset: w.datasetCfg,
      path: w.datasetPath ?? 'dataset',
      defaultScope: w.defaultScope ?? null,
      // a plugin whose file is gone (a temporary config's, long since removed) cannot be loaded
      // again: a dataset that uses its components falls back to this thread, saying why
      plugins: loadedPluginFiles().filter((p) => existsSync(p.file)),
      seed: this.sampler.seed,
    };
    const pool = await WorkerPool.start(w.numWorkers, data);
    if (typeof pool === 'string') {
      this.giveUpWorkers(pool);
      return null;
    }
    this.pool = pool;
    return pool;
  }

  private giveUpWorkers(reason: string): void {
    if (this.fallbackReason) return;
    this.fallbackReason = reason;
    (this.workers.logger ?? new ConsoleLogger()).warn(`${this.workers.datasetPath ?? 'data loader'}: loading on the main thread instead of ${this.workers.numWorkers} worker thread(s): ${reason}`);
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
  let batchSampler: BatchSampler | null = null;
  if (o.batch_sampler) {
    // mmengine: the batch sampler takes the loader's batch_size; torch refuses drop_last beside it
    if (o.drop_last) throw new ConfigError(`${path}.drop_last`, 'drop_last cannot be set beside batch_sampler (set the batch sampler\'s drop_last)');
    const sizeOf = (i: number) => {
      const info = dataset.peekDataInfo(i) as { width?: unknown; height?: unknown };
      if (typeof info.width !== 'number' || typeof info.height !== 'number') throw new ConfigError(`${path}.batch_sampler`, `${dataset.annFile}: item ${i} has no width and height to group by aspect ratio`);
      return { width: info.width, height: info.height };
    };
    batchSampler = build(DATA_SAMPLERS, { ...o.batch_sampler, batch_size: o.batch_size, size_of: sizeOf }, { path: `${path}.batch_sampler`, container: opts.container }) as BatchSampler;
  }
  const logger = opts.container?.isBound(SERVICES.Logger) ? opts.container.get<Logger>(SERVICES.Logger) : undefined;
  return new DataLoader<S>(dataset, sampler, o.batch_size, o.drop_last, batchSampler, {
    numWorkers: o.num_workers,
    prefetchFactor: o.prefetch_factor ?? 2,
    persistentWorkers: o.persistent_workers,
    datasetCfg: o.dataset,
    datasetPath: `${path}.dataset`,
    defaultScope: currentDefaultScope(),
    logger,
  });
}
