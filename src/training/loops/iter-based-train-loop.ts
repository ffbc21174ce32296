import { z } from 'zod';
import { LOOPS } from '../../registry/registries';
import type { DataLoader } from '../../data/loader';
import type { DataBatch } from '../../models/data-preprocessors/data-preprocessor';
import type { Runner } from '../runner/runner';
import { TrainLoop } from './train-loop';

export const iterBasedTrainLoopSchema = z
  .object({
    max_iters: z.number().int().positive(),
    val_begin: z.number().int().min(1).default(1),
    val_interval: z.number().int().positive().default(1000),
    dynamic_intervals: z.null().optional(),
  })
  .strict();
export type IterBasedTrainLoopOptions = z.output<typeof iterBasedTrainLoopSchema>;

/**
 * mmengine's IterBasedTrainLoop: `max_iters` iterations over the train loader restarted
 * (and reshuffled) whenever it runs out, validation from iteration `val_begin` on, every
 * `val_interval` iterations and after the last. `epoch` counts the passes completed.
 * Resumed at iteration i, it starts in pass floor(i / length) at batch i mod length — the
 * batches an uninterrupted run would see (mmengine skips the same count).
 */
export class IterBasedTrainLoop extends TrainLoop {
  readonly maxIters: number;

  constructor(runner: Runner, dataloader: DataLoader, o: IterBasedTrainLoopOptions) {
    super(runner, dataloader, o.val_begin, o.val_interval);
    this.maxIters = o.max_iters;
  }

  get maxEpochs(): number {
    return Math.ceil(this.maxIters / this.dataloader.length);
  }

  async run(): Promise<void> {
    const r = this.runner;
    await r.callHook('beforeTrain');
    await r.callHook('beforeTrainEpoch');
    if (this.iter > 0) r.logger.info(`resuming at iteration ${this.iter}: the loader advances ${this.iter % this.dataloader.length} batches into pass ${Math.floor(this.iter / this.dataloader.length) + 1}`);
    const batches = this.endless();
    while (this.iter < this.maxIters && !this.stopTraining) {
      r.model.train();
      const { value: batch } = await batches.next();
      await this.runIter(this.iter % this.dataloader.length, batch as DataBatch);
      if (this.shouldValidate(this.iter, this.maxIters)) await r.valLoop!.run();
    }
    await batches.return(undefined);
    await r.callHook('afterTrainEpoch');
    await r.callHook('afterTrain');
  }

  /** The loader's batches pass after pass, starting where iteration `iter` falls. */
  private async *endless(): AsyncGenerator<DataBatch> {
    const n = this.dataloader.length;
    this.epoch = Math.floor(this.iter / n);
    let start = this.iter % n;
    for (;;) {
      this.dataloader.setEpoch(this.epoch);
      yield* this.dataloader.batches(start);
      start = 0;
      this.epoch++;
    }
  }
}

LOOPS.register(
  iterBasedTrainLoopSchema.extend({ runner: z.custom<Runner>(), dataloader: z.custom<DataLoader>() }),
  (o: IterBasedTrainLoopOptions & { runner: Runner; dataloader: DataLoader }) => new IterBasedTrainLoop(o.runner, o.dataloader, o),
  { name: 'IterBasedTrainLoop', summary: 'mmengine train loop: max_iters iterations over the restarted train loader, validation every val_interval' },
);
