import { Random, seed as seedGlobal } from '../../core/random';
import type { DataBatch } from '../../models/data-preprocessors/data-preprocessor';
import { trainStep } from '../runner/train-step';
import type { DataLoader } from '../../data/loader';
import type { Runner } from '../runner/runner';
import { BaseLoop } from './base-loop';

/** The generator stream of iteration i: dropout, samplers and other draws of a step. */
const STEP_STREAM = 0x73746570;

/**
 * What the epoch- and iteration-based train loops share: the counters (`epoch` = epochs
 * completed, `iter` = iterations completed, as mmengine's), one iteration with its hooks, and
 * the rule for running validation.
 *
 * Before every step the global generator is re-seeded from (seed, iteration), so the random
 * draws of iteration i never depend on what ran before: a run resumed at any checkpoint makes
 * the same draws as one that never stopped.
 */
export abstract class TrainLoop extends BaseLoop {
  epoch = 0;
  iter = 0;
  stopTraining = false;
  /** Between the step of an iteration and its count (its after_train_iter hooks run then). */
  protected iterDone = false;
  /** Between the last iteration of an epoch and its count (after_train_epoch). */
  protected epochDone = false;
  abstract readonly maxEpochs: number;
  abstract readonly maxIters: number;

  constructor(
    runner: Runner,
    dataloader: DataLoader,
    /** Validation from this epoch (or iteration) on, every `valInterval`, and after the last. */
    readonly valBegin: number,
    readonly valInterval: number,
  ) {
    super(runner, dataloader);
  }

  protected async runIter(batchIdx: number, batch: DataBatch): Promise<void> {
    const r = this.runner;
    await r.callHook('beforeTrainIter', batchIdx, batch);
    seedGlobal(Random.derive(r.seed, STEP_STREAM, this.iter).uint32());
    const { outputs } = trainStep(r.model, batch, r.optimWrapper, r.engine, r.trainableParams, this.iter);
    this.iterDone = true;
    await r.callHook('afterTrainIter', batchIdx, batch, outputs);
    this.iter++;
    this.iterDone = false;
  }

  /**
   * Epochs and iterations finished at this moment — what a checkpoint saved now records as
   * `meta.epoch` / `meta.iter` and a run resumed from it starts after (mmengine's counts).
   */
  completed(): { epoch: number; iter: number } {
    return { epoch: this.epoch + (this.epochDone ? 1 : 0), iter: this.iter + (this.iterDone ? 1 : 0) };
  }

  /** mmengine's rule: from val_begin on, every val_interval and at the end. */
  protected shouldValidate(done: number, last: number): boolean {
    return this.runner.valLoop !== null && done >= this.valBegin && (done % this.valInterval === 0 || done === last);
  }
}
