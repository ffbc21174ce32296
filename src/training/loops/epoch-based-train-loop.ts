import { z } from 'zod';
import { LOOPS } from '../../registry/registries';
import type { DataLoader } from '../../data/loader';
import type { Runner } from '../runner/runner';
import { TrainLoop } from './train-loop';

export const epochBasedTrainLoopSchema = z
  .object({
    max_epochs: z.number().int().positive(),
    val_begin: z.number().int().min(1).default(1),
    val_interval: z.number().int().positive().default(1),
    dynamic_intervals: z.null().optional(),
  })
  .strict();
export type EpochBasedTrainLoopOptions = z.output<typeof epochBasedTrainLoopSchema>;

/**
 * mmengine's EpochBasedTrainLoop: `max_epochs` passes over the train loader (reshuffled per
 * epoch), validation after epoch `val_begin`, then every `val_interval` epochs and after the
 * last. Resumed from a checkpoint written inside an epoch, it skips the batches of that epoch
 * already trained on (the sampler's order is a function of seed and epoch), so the run
 * continues exactly where it stopped.
 */
export class EpochBasedTrainLoop extends TrainLoop {
  readonly maxEpochs: number;

  constructor(runner: Runner, dataloader: DataLoader, o: EpochBasedTrainLoopOptions) {
    super(runner, dataloader, o.val_begin, o.val_interval);
    this.maxEpochs = o.max_epochs;
  }

  get maxIters(): number {
    return this.maxEpochs * this.dataloader.length;
  }

  async run(): Promise<void> {
    const r = this.runner;
    await r.callHook('beforeTrain');
    while (this.epoch < this.maxEpochs && !this.stopTraining) {
      await this.runEpoch();
      if (this.shouldValidate(this.epoch, this.maxEpochs)) await r.valLoop!.run();
    }
    await r.callHook('afterTrain');
  }

  private async runEpoch(): Promise<void> {
    const r = this.runner;
    await r.callHook('beforeTrainEpoch');
    r.model.train();
    this.dataloader.setEpoch(this.epoch);
    const skip = this.iter - this.epoch * this.dataloader.length;
    if (skip > 0) r.logger.info(`resuming inside epoch ${this.epoch + 1}: skipping the ${skip} batches already trained on`);
    let idx = Math.max(0, skip);
    for await (const batch of this.dataloader.batches(idx)) {
      await this.runIter(idx++, batch);
      if (this.stopTraining) break;
    }
    this.epochDone = true;
    await r.callHook('afterTrainEpoch');
    this.epoch++;
    this.epochDone = false;
  }
}

LOOPS.register(
  epochBasedTrainLoopSchema.extend({ runner: z.custom<Runner>(), dataloader: z.custom<DataLoader>() }),
  (o: EpochBasedTrainLoopOptions & { runner: Runner; dataloader: DataLoader }) => new EpochBasedTrainLoop(o.runner, o.dataloader, o),
  { name: 'EpochBasedTrainLoop', summary: 'mmengine train loop: max_epochs passes over the train loader, validation every val_interval epochs' },
);
