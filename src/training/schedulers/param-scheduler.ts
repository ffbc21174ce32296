import { z } from 'zod';
import { ConfigError, UserError } from '../../core/errors';
import type { ParamGroup } from '../optim/optimizer';
import type { BuildContext } from '../../registry/build-context';

/** mmengine's "no end": int(1e9). */
export const INF = 1_000_000_000;

/** What a scheduler drives: the optimizer (or its wrapper) with PyTorch-style param groups. */
export interface SchedulableOptimizer {
  readonly paramGroups: readonly ParamGroup[];
}

/**
 * Options every scheduler takes. `optimizer` and `epoch_length` are not written in configs:
 * the runner passes them as build defaults (mmengine's `default_args` and the train loader's
 * length, needed by `convert_to_iter_based`).
 */
export const schedulerBase = {
  optimizer: z.custom<SchedulableOptimizer>((v) => typeof v === 'object' && v !== null && 'paramGroups' in v, 'an optimizer'),
  epoch_length: z.number().int().positive().optional(),
  begin: z.number().int().min(0).default(0),
  end: z.number().int().default(INF),
  by_epoch: z.boolean().default(true),
  last_step: z.number().int().min(-1).default(-1),
  convert_to_iter_based: z.boolean().default(false),
};
const baseObject = z.object(schedulerBase);
export type SchedulerBaseOptions = z.output<typeof baseObject>;

/** What a scheduler's options are turned into on `convert_to_iter_based` (besides begin and end). */
export type EpochToIter<O> = (o: O, epochLength: number) => Partial<O>;

/**
 * mmengine's `_ParamScheduler`: between `begin` (inclusive) and `end` (exclusive) steps it
 * sets one hyper-parameter (`lr`) of every param group. Subclasses give the chainable form
 * (`value`), computed from the group's *current* value, so several schedulers active at once
 * compose: each is applied, in config order, to what the previous one left. `lastStep` counts
 * this scheduler's own steps from `begin`; `globalStep` every call of step().
 *
 * Construction performs the first step (step 0), as in mmengine.
 */
export abstract class ParamScheduler<O extends SchedulerBaseOptions = SchedulerBaseOptions> {
  readonly optimizer: SchedulableOptimizer;
  readonly opts: O;
  readonly begin: number;
  readonly end: number;
  readonly byEpoch: boolean;
  baseValues: number[];
  lastStep: number;
  globalStep = -1;
  lastValue: number[] = [];

  constructor(
    options: O,
    readonly paramName = 'lr',
    toIter?: EpochToIter<O>,
  ) {
    const o = convertToIter(options, toIter);
    this.opts = o;
    this.optimizer = o.optimizer;
    if (o.end <= o.begin) throw new ConfigError('end', `must be larger than begin, got begin=${o.begin}, end=${o.end}`);
    this.begin = o.begin;
    this.end = o.end;
    this.byEpoch = o.by_epoch;
    this.prepare();
    const initial = `initial_${paramName}`;
    this.optimizer.paramGroups.forEach((g, i) => {
      if (o.last_step === -1) {
        // a value never scheduled before: its current value is the one to start from
        if (!(initial in g.hyper)) g.hyper[initial] = g.num(paramName);
      } else if (!(initial in g.hyper)) {
        throw new UserError(`param group ${i} has no '${initial}', which resuming a scheduler at last_step ${o.last_step} needs`);
      }
    });
    this.baseValues = this.optimizer.paramGroups.map((g) => g.num(initial));
    this.lastStep = o.last_step;
    this.step();
  }

  /** Runs before the initial values are recorded (OneCycleLR sets them itself). */
  protected prepare(): void {}

  /** The new value of every param group at `lastStep`, from the current ones (chainable form). */
  protected abstract value(): number[];

  protected current(): number[] {
    return this.optimizer.paramGroups.map((g) => g.num(this.paramName));
  }

  step(): void {
    this.globalStep++;
    if (this.begin <= this.globalStep && this.globalStep < this.end) {
      this.lastStep++;
      const values = this.value();
      this.optimizer.paramGroups.forEach((g, i) => {
        g.hyper[this.paramName] = values[i];
      });
    }
    this.lastValue = this.current();
  }

  /** mmengine saves the scheduler's attributes; these are the ones that change while training. */
  stateDict(): Record<string, unknown> {
    return {
      param_name: this.paramName,
      begin: this.begin,
      end: this.end,
      by_epoch: this.byEpoch,
      base_values: [...this.baseValues],
      last_step: this.lastStep,
      _global_step: this.globalStep,
      _last_value: [...this.lastValue],
    };
  }

  loadStateDict(s: Record<string, unknown>): void {
    const num = (k: string): number => {
      if (typeof s[k] !== 'number') throw new UserError(`scheduler state: '${k}' is ${JSON.stringify(s[k])}, expected a number`);
      return s[k] as number;
    };
    const nums = (k: string): number[] => {
      const v = s[k];
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw new UserError(`scheduler state: '${k}' is not a list of numbers`);
      return [...(v as number[])];
    };
    this.lastStep = num('last_step');
    this.globalStep = num('_global_step');
    this.baseValues = nums('base_values');
    this.lastValue = nums('_last_value');
  }
}

/**
 * mmengine's `build_iter_from_epoch`: an epoch-based config turned into the same schedule
 * counted in iterations (begin, end and the subclass's own epoch counts times the epoch length).
 */
function convertToIter<O extends SchedulerBaseOptions>(o: O, toIter?: EpochToIter<O>): O {
  if (!o.convert_to_iter_based) return o;
  if (!o.by_epoch) throw new ConfigError('convert_to_iter_based', 'only a by_epoch: true scheduler can be converted to iteration-based');
  const n = o.epoch_length;
  if (n === undefined) throw new ConfigError('convert_to_iter_based', 'needs the epoch length (the number of iterations of the train dataloader)');
  return {
    ...o,
    ...(toIter ? toIter(o, n) : {}),
    begin: Math.trunc(o.begin * n),
    end: o.end === INF ? INF : Math.trunc(o.end * n),
    by_epoch: false,
    convert_to_iter_based: false,
  };
}

/** Build inside a component's context: an option error names the full config path. */
export function inContext<T>(ctx: BuildContext | undefined, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof ConfigError && ctx && !e.file) throw ctx.error(e.configPath, e.detail);
    throw e;
  }
}
