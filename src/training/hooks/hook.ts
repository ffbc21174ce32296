import type { DataBatch } from '../../models/data-preprocessors/data-preprocessor';
import type { TrainingCheckpoint } from '../../io/training-checkpoint';
import type { DataSample } from '../../structures/data-sample';
import type { Runner } from '../runner/runner';

/** mmengine's hook priorities: lower runs first. */
export const PRIORITIES = {
  HIGHEST: 0,
  VERY_HIGH: 10,
  HIGH: 30,
  ABOVE_NORMAL: 40,
  NORMAL: 50,
  BELOW_NORMAL: 60,
  LOW: 70,
  VERY_LOW: 90,
  LOWEST: 100,
} as const;
export type PriorityName = keyof typeof PRIORITIES;

/** A priority as configs write it: a number or one of mmengine's names. */
export function priorityValue(p: number | string): number {
  if (typeof p === 'number') return p;
  const v = PRIORITIES[p as PriorityName];
  if (v === undefined) throw new Error(`unknown hook priority '${p}': expected a number or one of ${Object.keys(PRIORITIES).join(', ')}`);
  return v;
}

/** What a train iteration returned: the logged loss terms as numbers (`loss`, `loss_cls`, `acc`, ...). */
export type TrainOutputs = Readonly<Record<string, number>>;

/**
 * mmengine's Hook: points in the run where a hook may act, each given the runner (whose
 * state — epoch, iter, model, message hub, work dir — is typed). Every method is optional;
 * the runner awaits them in priority order.
 */
export abstract class Hook {
  /** Where it runs among the hooks (lower first); set from the config's `priority`. */
  priority: number = PRIORITIES.NORMAL;
  abstract readonly name: string;

  beforeRun?(runner: Runner): void | Promise<void>;
  afterRun?(runner: Runner): void | Promise<void>;
  beforeTrain?(runner: Runner): void | Promise<void>;
  afterTrain?(runner: Runner): void | Promise<void>;
  beforeTrainEpoch?(runner: Runner): void | Promise<void>;
  afterTrainEpoch?(runner: Runner): void | Promise<void>;
  beforeTrainIter?(runner: Runner, batchIdx: number, batch: DataBatch): void | Promise<void>;
  afterTrainIter?(runner: Runner, batchIdx: number, batch: DataBatch, outputs: TrainOutputs): void | Promise<void>;
  beforeVal?(runner: Runner): void | Promise<void>;
  afterVal?(runner: Runner): void | Promise<void>;
  beforeValEpoch?(runner: Runner): void | Promise<void>;
  afterValEpoch?(runner: Runner, metrics: Readonly<Record<string, unknown>>): void | Promise<void>;
  beforeValIter?(runner: Runner, batchIdx: number, batch: DataBatch): void | Promise<void>;
  /** `outputs`: the batch's predicted data samples (host values), as mmengine passes them. */
  afterValIter?(runner: Runner, batchIdx: number, batch: DataBatch, outputs: readonly DataSample[]): void | Promise<void>;
  beforeTest?(runner: Runner): void | Promise<void>;
  afterTest?(runner: Runner): void | Promise<void>;
  beforeTestEpoch?(runner: Runner): void | Promise<void>;
  afterTestEpoch?(runner: Runner, metrics: Readonly<Record<string, unknown>>): void | Promise<void>;
  beforeTestIter?(runner: Runner, batchIdx: number, batch: DataBatch): void | Promise<void>;
  afterTestIter?(runner: Runner, batchIdx: number, batch: DataBatch, outputs: readonly DataSample[]): void | Promise<void>;
  /** The checkpoint about to be written (a hook may add entries, e.g. EMA weights). */
  beforeSaveCheckpoint?(runner: Runner, checkpoint: TrainingCheckpoint): void | Promise<void>;
  /** A checkpoint just read for resuming or `load_from`. */
  afterLoadCheckpoint?(runner: Runner, checkpoint: TrainingCheckpoint): void | Promise<void>;
}

/** The hook points, for the runner's dispatch. */
export type HookPoint = {
  [K in keyof Hook]-?: NonNullable<Hook[K]> extends (...a: any[]) => any ? K : never;
}[keyof Hook];

/** An interval hit, mmengine's every_n_epochs / every_n_train_iters (1-based counts). */
export const everyN = (done: number, n: number): boolean => n > 0 && done % n === 0;
