import { z } from 'zod';
import { HOOKS } from '../../registry/registries';
import { SERVICES, type Progress, type ProgressBar } from '../../registry/services';
import type { BuildContext } from '../../registry/build-context';
import type { Runner } from '../runner/runner';
import { Hook, PRIORITIES, everyN } from './hook';

export const loggerHookSchema = z
  .object({
    interval: z.number().int().positive().default(10),
    ignore_last: z.boolean().default(true),
    interval_exp_name: z.number().int().positive().default(1000),
    out_dir: z.null().optional(),
    out_suffix: z.unknown().optional(),
    keep_local: z.boolean().default(true),
    log_metric_by_epoch: z.boolean().default(true),
    backend_args: z.null().optional(),
  })
  .strict();
export type LoggerHookOptions = z.output<typeof loggerHookSchema>;

const MB = 1024 * 1024;

/**
 * mmengine's LoggerHook: every `interval` train iterations (and at the end of an epoch unless
 * `ignore_last`) a text line through the runner's log (terminal and `<timestamp>.log`) and the
 * smoothed scalars to the visualizer (`vis_data/scalars.json`, TensorBoard) at step iter + 1;
 * after validation the metrics, at the epoch (`log_metric_by_epoch`) or iteration. A progress
 * bar shows loss, lr and ETA between the lines. `memory` is the process's resident set in MB
 * (tfjs on CPU has no separate device memory).
 */
export class LoggerHook extends Hook {
  readonly name = 'LoggerHook';
  override priority: number = PRIORITIES.BELOW_NORMAL;
  private bar: ProgressBar | null = null;
  private valBar: ProgressBar | null = null;

  constructor(
    readonly opts: LoggerHookOptions,
    private readonly progress: Progress,
  ) {
    super();
  }

  override beforeTrain(runner: Runner): void {
    this.bar = this.progress.start('train', runner.maxIters - runner.iter);
  }

  override afterTrain(): void {
    this.bar?.stop();
    this.bar = null;
  }

  override afterTrainIter(runner: Runner, batchIdx: number): void {
    const lp = runner.logProcessor;
    const values = lp.scalars(runner.messageHub, 'train');
    const eta = runner.messageHub.getInfo<number>('eta');
    this.bar?.tick(1, `loss ${fmt(values.loss)} lr ${values.lr?.toExponential(2) ?? '-'}${eta !== undefined ? ` eta ${Math.round(eta)}s` : ''}`);
    const byEpoch = lp.opts.by_epoch;
    const n = byEpoch ? batchIdx + 1 : runner.iter + 1;
    const epochLength = runner.trainLoop!.dataloader.length;
    const endOfEpoch = byEpoch && batchIdx + 1 === epochLength;
    if (!everyN(n, this.opts.interval) && !(endOfEpoch && !this.opts.ignore_last)) return;
    const memory = process.memoryUsage().rss / MB;
    const pos = byEpoch
      ? { mode: 'train' as const, epoch: runner.epoch + 1, step: batchIdx + 1, total: epochLength }
      : { mode: 'train' as const, epoch: runner.epoch + 1, step: runner.iter + 1, total: runner.maxIters };
    runner.log(lp.line(pos, values, eta, memory));
    const tag: Record<string, number> = { ...values, memory, iter: runner.iter + 1 };
    if (byEpoch) tag.epoch = runner.epoch + 1;
    runner.visualizer.addScalars(tag, runner.iter + 1);
  }

  override beforeValEpoch(runner: Runner): void {
    this.valBar = this.progress.start('val', runner.valLoop?.dataloader.length ?? 0);
  }

  override afterValIter(): void {
    this.valBar?.tick(1);
  }

  override afterValEpoch(runner: Runner, metrics: Readonly<Record<string, unknown>>): void {
    this.valBar?.stop();
    this.valBar = null;
    this.logMetrics(runner, 'val', metrics);
  }

  override afterTestEpoch(runner: Runner, metrics: Readonly<Record<string, unknown>>): void {
    this.logMetrics(runner, 'test', metrics);
  }

  private logMetrics(runner: Runner, mode: 'val' | 'test', metrics: Readonly<Record<string, unknown>>): void {
    const numbers = Object.fromEntries(Object.entries(metrics).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
    const times = runner.logProcessor.scalars(runner.messageHub, mode, 'epoch');
    const loader = mode === 'val' ? runner.valLoop?.dataloader : runner.testLoop?.dataloader;
    const total = loader?.length ?? 0;
    const pos = { mode, epoch: runner.epoch, step: total, total };
    runner.log(runner.logProcessor.line(pos, { ...numbers, ...pick(times, ['data_time', 'time']) }));
    if (mode === 'test') return;
    const step = this.opts.log_metric_by_epoch && runner.trainLoop && runner.logProcessor.opts.by_epoch ? runner.epoch : runner.iter;
    runner.visualizer.addScalars(numbers, step);
  }
}

function fmt(v: number | undefined): string {
  return v === undefined ? '-' : v.toFixed(4);
}

function pick(o: Record<string, number>, keys: string[]): Record<string, number> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

HOOKS.register(loggerHookSchema, (o: LoggerHookOptions, ctx: BuildContext) => new LoggerHook(o, ctx.get<Progress>(SERVICES.Progress)), {
  name: 'LoggerHook',
  summary: 'mmengine hook: text log lines, scalars to the visualizer, a progress bar',
});
