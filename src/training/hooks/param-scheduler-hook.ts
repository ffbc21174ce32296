import { z } from 'zod';
import { HOOKS } from '../../registry/registries';
import type { Runner } from '../runner/runner';
import { Hook, PRIORITIES } from './hook';

/**
 * mmengine's ParamSchedulerHook: steps the iteration-based schedulers after every train
 * iteration and the epoch-based ones after every train epoch (the optimizer has stepped with
 * the value they set before).
 */
export class ParamSchedulerHook extends Hook {
  readonly name = 'ParamSchedulerHook';
  override priority: number = PRIORITIES.LOW;

  override afterTrainIter(runner: Runner): void {
    for (const s of runner.paramSchedulers) if (!s.byEpoch) s.step();
  }

  override afterTrainEpoch(runner: Runner): void {
    for (const s of runner.paramSchedulers) if (s.byEpoch) s.step();
  }
}

HOOKS.register(z.object({}).strict(), () => new ParamSchedulerHook(), {
  name: 'ParamSchedulerHook',
  summary: 'mmengine hook: steps the parameter schedulers by iteration or by epoch',
});
