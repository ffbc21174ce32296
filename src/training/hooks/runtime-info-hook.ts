import { z } from 'zod';
import { HOOKS } from '../../registry/registries';
import type { Runner } from '../runner/runner';
import { Hook, PRIORITIES, type TrainOutputs } from './hook';

/**
 * mmengine's RuntimeInfoHook: keeps the message hub up to date — epoch, iter, max_epochs,
 * max_iters and the dataset's metainfo in its runtime info; the learning rate before every
 * train iteration, the loss terms after it and the metrics after validation in its scalars
 * (`train/lr`, `train/loss`, `val/coco/bbox_mAP`, ...), which the logger and the checkpoint
 * hook read.
 */
export class RuntimeInfoHook extends Hook {
  readonly name = 'RuntimeInfoHook';
  override priority: number = PRIORITIES.VERY_HIGH;

  override beforeTrain(runner: Runner): void {
    const hub = runner.messageHub;
    hub.updateInfo('epoch', runner.epoch);
    hub.updateInfo('iter', runner.iter);
    hub.updateInfo('max_epochs', runner.maxEpochs);
    hub.updateInfo('max_iters', runner.maxIters);
  }

  override beforeTrainEpoch(runner: Runner): void {
    runner.messageHub.updateInfo('epoch', runner.epoch);
  }

  override beforeTrainIter(runner: Runner): void {
    const hub = runner.messageHub;
    hub.updateInfo('iter', runner.iter);
    const lrs = runner.optimWrapper.getLr();
    hub.updateScalar('train/lr', lrs[0]);
  }

  override afterTrainIter(runner: Runner, _i: number, _b: unknown, outputs: TrainOutputs): void {
    for (const [k, v] of Object.entries(outputs)) runner.messageHub.updateScalar(`train/${k}`, v);
  }

  override afterValEpoch(runner: Runner, metrics: Readonly<Record<string, unknown>>): void {
    for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number') runner.messageHub.updateScalar(`val/${k}`, v);
  }

  override afterTestEpoch(runner: Runner, metrics: Readonly<Record<string, unknown>>): void {
    for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number') runner.messageHub.updateScalar(`test/${k}`, v);
  }
}

HOOKS.register(z.object({}).strict(), () => new RuntimeInfoHook(), {
  name: 'RuntimeInfoHook',
  summary: 'mmengine hook: epoch, iteration, learning rate, losses and metrics into the message hub',
});
