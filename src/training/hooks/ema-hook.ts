import { z } from 'zod';
import { UserError } from '../../core/errors';
import type { HostTensor } from '../../core/host-tensor';
import type { TrainingCheckpoint } from '../../io/training-checkpoint';
import { HOOKS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import type { AveragedModel } from '../ema/averaged-model';
import { ExpMomentumEMA } from '../ema/exp-momentum-ema';
import { ExponentialMovingAverage } from '../ema/exponential-moving-average';
import type { Runner } from '../runner/runner';
import { Hook, PRIORITIES } from './hook';

export const emaHookSchema = z
  .object({
    ema_type: z.enum(['ExponentialMovingAverage', 'ExpMomentumEMA']).default('ExponentialMovingAverage'),
    strict_load: z.boolean().default(true),
    begin_iter: z.number().int().min(0).default(0),
    begin_epoch: z.number().int().min(0).default(0),
    momentum: z.number().gt(0).lt(1).default(0.0002),
    gamma: z.number().positive().default(2000),
    interval: z.number().int().positive().default(1),
    update_buffers: z.boolean().default(false),
  })
  .strict();
export type EMAHookOptions = z.output<typeof emaHookSchema>;

/**
 * mmengine's EMAHook (mmdetection's configs use it with ExpMomentumEMA): an averaged copy of
 * the weights updated after every train iteration from `begin_iter` / `begin_epoch` on (a
 * plain copy before), swapped into the model for validation and testing. Checkpoints hold the
 * averaged weights as `state_dict` (what deployment loads) and the training weights under
 * `ema_state_dict` (`module.<name>`, `steps`), as mmengine swaps them; resuming swaps back.
 */
export class EMAHook extends Hook {
  readonly name = 'EMAHook';
  override priority: number = PRIORITIES.NORMAL;
  private ema: AveragedModel | null = null;

  constructor(readonly opts: EMAHookOptions) {
    super();
  }

  override beforeRun(runner: Runner): void {
    const o = this.opts;
    const model = runner.model;
    this.ema = o.ema_type === 'ExpMomentumEMA' ? new ExpMomentumEMA(model, o.momentum, o.gamma, o.interval, o.update_buffers) : new ExponentialMovingAverage(model, o.momentum, o.interval, o.update_buffers);
    if (runner.trainLoop && (o.begin_iter >= runner.maxIters || o.begin_epoch >= runner.maxEpochs)) {
      throw new UserError(`EMAHook: begin_iter ${o.begin_iter} / begin_epoch ${o.begin_epoch} is past the end of training (${runner.maxIters} iterations, ${runner.maxEpochs} epochs)`);
    }
    if (this.pending) {
      this.restore(runner, this.pending);
      this.pending = null;
    } else this.ema.copyFromModel();
  }

  override afterTrainIter(runner: Runner): void {
    const ema = this.ema!;
    // mmengine's _ema_started
    if (runner.iter + 1 >= this.opts.begin_iter && runner.epoch + 1 >= this.opts.begin_epoch) ema.update();
    else ema.copyFromModel();
  }

  override beforeValEpoch(): void {
    this.ema?.swap();
  }
  override afterValEpoch(): void {
    this.ema?.swap();
  }
  override beforeTestEpoch(): void {
    this.ema?.swap();
  }
  override afterTestEpoch(): void {
    this.ema?.swap();
  }

  override beforeSaveCheckpoint(_runner: Runner, ckpt: TrainingCheckpoint): void {
    if (!this.ema) return;
    const ema = this.ema.stateDict();
    const model = new Map(ckpt.stateDict);
    for (const [k, v] of ema) {
      if (!k.startsWith('module.')) continue;
      const name = k.slice('module.'.length);
      ema.set(k, model.get(name)!);
      model.set(name, v);
    }
    ckpt.stateDict = model;
    ckpt.extra = { ...(ckpt.extra ?? {}), ema_state_dict: ema };
  }

  /** A checkpoint read before beforeRun built the averages (the runner loads first, as mmengine). */
  private pending: TrainingCheckpoint | null = null;

  override afterLoadCheckpoint(runner: Runner, ckpt: TrainingCheckpoint): void {
    if (this.ema) this.restore(runner, ckpt);
    else this.pending = ckpt;
  }

  private restore(runner: Runner, ckpt: TrainingCheckpoint): void {
    const ema = this.ema!;
    const raw = ckpt.extra?.ema_state_dict;
    const saved = raw instanceof Map ? (raw as Map<string, HostTensor>) : raw && typeof raw === 'object' ? new Map(Object.entries(raw as Record<string, HostTensor>)) : null;
    if (!runner.resuming || !saved) {
      if (runner.resuming) runner.logger.warn('the checkpoint has no ema_state_dict: EMAHook starts the averages from its state_dict');
      ema.copyFromModel();
      return;
    }
    // the file holds the averages as state_dict and the training weights under ema_state_dict
    const trainWeights = new Map<string, HostTensor>();
    const averages = new Map<string, HostTensor>(saved);
    for (const [k, v] of saved) {
      if (!k.startsWith('module.')) continue;
      const name = k.slice('module.'.length);
      trainWeights.set(name, v);
      const avg = ckpt.stateDict.get(name);
      if (avg) averages.set(k, avg);
    }
    runner.model.loadStateDict(new Map([...ckpt.stateDict, ...trainWeights]), { strict: false });
    runner.engine.release(runner.model);
    ema.loadStateDict(averages, this.opts.strict_load);
  }
}

HOOKS.register(emaHookSchema, (o: EMAHookOptions, _ctx: BuildContext) => new EMAHook(o), {
  name: 'EMAHook',
  summary: 'mmengine hook: exponential moving average of the weights (ExponentialMovingAverage, ExpMomentumEMA), used for validation and saved',
});
