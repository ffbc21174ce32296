import { z } from 'zod';
import { HOOKS } from '../../registry/registries';
import type { Runner } from '../runner/runner';
import { Hook, PRIORITIES } from './hook';

/**
 * mmengine's IterTimerHook: `data_time` (waiting for the batch) and `time` (the whole
 * iteration) of every iteration into the message hub, and the training ETA from the mean
 * iteration time since this run started (a resumed run counts from where it resumed).
 */
export class IterTimerHook extends Hook {
  readonly name = 'IterTimerHook';
  override priority: number = PRIORITIES.NORMAL;
  private last = 0;
  private startIter = 0;
  private spent = 0;

  override beforeTrain(runner: Runner): void {
    this.startIter = runner.iter;
    this.spent = 0;
  }

  override beforeTrainEpoch(): void {
    this.last = performance.now();
  }
  override beforeValEpoch(): void {
    this.last = performance.now();
  }
  override beforeTestEpoch(): void {
    this.last = performance.now();
  }

  override beforeTrainIter(runner: Runner): void {
    this.dataTime(runner, 'train');
  }
  override beforeValIter(runner: Runner): void {
    this.dataTime(runner, 'val');
  }
  override beforeTestIter(runner: Runner): void {
    this.dataTime(runner, 'test');
  }

  override afterTrainIter(runner: Runner): void {
    const t = this.iterTime(runner, 'train');
    this.spent += t;
    const done = runner.iter + 1 - this.startIter;
    runner.messageHub.updateInfo('eta', (this.spent / done) * (runner.maxIters - runner.iter - 1));
  }
  override afterValIter(runner: Runner): void {
    this.iterTime(runner, 'val');
  }
  override afterTestIter(runner: Runner): void {
    this.iterTime(runner, 'test');
  }

  private dataTime(runner: Runner, mode: string): void {
    runner.messageHub.updateScalar(`${mode}/data_time`, (performance.now() - this.last) / 1000);
  }

  private iterTime(runner: Runner, mode: string): number {
    const now = performance.now();
    const t = (now - this.last) / 1000;
    runner.messageHub.updateScalar(`${mode}/time`, t);
    this.last = now;
    return t;
  }
}

HOOKS.register(z.object({}).strict(), () => new IterTimerHook(), {
  name: 'IterTimerHook',
  summary: 'mmengine hook: data and iteration times, training ETA',
});
