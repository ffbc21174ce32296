import { appendFileSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Container } from 'inversify';
import { ConfigError, UserError } from '../../core/errors';
import type { Parameter } from '../../core/parameter';
import { setDefaultEngine } from '../../core/engine-context';
import { seed as seedGlobal } from '../../core/random';
import { buildDataLoader, type DataLoader } from '../../data/loader';
import type { TfjsEngine } from '../../engines/tfjs/tfjs-engine';
import { Evaluator } from '../../evaluation/metrics/evaluator';
import type { BaseMetric } from '../../evaluation/metrics/base-metric';
import { readTrainingCheckpoint, saveTrainingCheckpoint, type TrainingCheckpoint } from '../../io/training-checkpoint';
import { removeStaleTemporaries, writeFileAtomic } from '../../io/atomic-write';
import type { BaseModel } from '../../models/base-model';
import { buildFrom } from '../../registry/build-context';
import { HOOKS, LOOPS, METRICS, SCHEDULERS } from '../../registry/registries';
import { withDefaultScope } from '../../registry/registry';
import { SERVICES, type Logger } from '../../registry/services';
import { formatZodError } from '../../registry/validation';
import { Hook, priorityValue, type HookPoint } from '../hooks/hook';
import type { EvalLoop } from '../loops/eval-loop';
import type { TrainLoop } from '../loops/train-loop';
import { buildOptimWrapper } from '../optim/build-optim-wrapper';
import type { OptimWrapper } from '../optim/optim-wrapper';
import { INF, type ParamScheduler } from '../schedulers/param-scheduler';
import { Visualizer } from '../visualization/visualizer';
import { LogProcessor, logProcessorSchema } from './log-processor';
import { MessageHub } from './message-hub';
import { DEFAULT_HOOKS, runnerConfigSchema, type RunnerConfig } from './runner-config';
import { trainableParameters } from './train-step';

export interface RunnerOptions {
  model: BaseModel;
  /** The merged config (mm* vocabulary). */
  config: Record<string, unknown>;
  /** The config file, named in error messages. */
  file?: string;
  workDir: string;
  engine: TfjsEngine;
  container: Container;
  /** The config as text (a Python config), saved beside the checkpoints and in vis_data. */
  configText?: string;
  /** Wall-clock stamp of the run's log folder (default: now, as mmengine's YYYYMMDD_HHMMSS). */
  timestamp?: string;
}

/**
 * mmengine's Runner, kept small: it builds what the config describes (data loaders, optimizer
 * wrapper, schedulers, hooks, loops, visualizer) around a built model, owns the run's state
 * (message hub, seed, work dir) and checkpoints; the loops iterate and the hooks do the rest.
 * Hooks get the runner itself, typed: `epoch`, `iter`, `maxIters`, `model`, `messageHub`, ...
 */
export class Runner {
  readonly model: BaseModel;
  readonly cfg: RunnerConfig;
  readonly file?: string;
  readonly workDir: string;
  readonly logDir: string;
  readonly timestamp: string;
  readonly engine: TfjsEngine;
  readonly container: Container;
  readonly logger: Logger;
  readonly messageHub = new MessageHub();
  readonly logProcessor: LogProcessor;
  readonly visualizer: Visualizer;
  readonly hooks: Hook[] = [];
  seed: number;
  private readonly logFile: string;
  private optim: OptimWrapper | null = null;
  private schedulers: ParamScheduler[] = [];
  private params: Map<string, Parameter> | null = null;
  /** Set once a checkpoint has been loaded for resuming (hooks restore their own state then). */
  resuming = false;
  trainLoop: TrainLoop | null = null;
  valLoop: EvalLoop | null = null;
  testLoop: EvalLoop | null = null;

  constructor(o: RunnerOptions) {
    this.file = o.file;
    this.cfg = this.parse(o.config);
    this.model = o.model;
    this.engine = o.engine;
    this.container = o.container;
    this.logger = o.container.get<Logger>(SERVICES.Logger);
    this.workDir = o.workDir;
    this.timestamp = o.timestamp ?? stamp(new Date());
    this.logDir = join(this.workDir, this.timestamp);
    mkdirSync(this.logDir, { recursive: true });
    this.logFile = join(this.logDir, `${this.timestamp}.log`);
    this.seed = this.cfg.randomness.seed ?? (Date.now() ^ (process.pid << 16)) >>> 0;
    seedGlobal(this.seed);
    this.logProcessor = new LogProcessor(this.parseSection(logProcessorSchema, this.cfg.log_processor ?? {}, 'log_processor'));
    this.visualizer = this.scoped(() => Visualizer.build(this.cfg.visualizer, join(this.logDir, 'vis_data'), this.container, this.file));
    if (o.configText) this.visualizer.addConfig(o.configText);
    this.buildHooks();
  }

  // --- state the hooks read -----------------------------------------------------------
  get epoch(): number {
    return this.trainLoop?.epoch ?? 0;
  }
  get iter(): number {
    return this.trainLoop?.iter ?? 0;
  }
  get maxEpochs(): number {
    return this.trainLoop?.maxEpochs ?? 0;
  }
  get maxIters(): number {
    return this.trainLoop?.maxIters ?? 0;
  }
  get optimWrapper(): OptimWrapper {
    if (!this.optim) throw new Error('the optimizer wrapper exists only while training');
    return this.optim;
  }
  get paramSchedulers(): readonly ParamScheduler[] {
    return this.schedulers;
  }
  get trainableParams(): ReadonlyMap<string, Parameter> {
    return (this.params ??= trainableParameters(this.model));
  }

  /** A line to the terminal (through the logger service) and to `<timestamp>.log`. */
  log(line: string): void {
    this.logger.info(line);
    appendFileSync(this.logFile, `${new Date().toISOString()} - hrdet - INFO - ${line}\n`);
  }

  // --- running ---------------------------------------------------------------------------
  /** mmengine's Runner.train(): build the train (and val) parts, load or resume, run. */
  async train(): Promise<BaseModel> {
    const c = this.cfg;
    if (!c.train_dataloader || !c.train_cfg || !c.optim_wrapper) {
      const lack = (['train_dataloader', 'train_cfg', 'optim_wrapper'] as const).filter((k) => !c[k]);
      throw new ConfigError(lack[0], `training needs train_dataloader, train_cfg and optim_wrapper; the config lacks ${lack.join(', ')}`, this.file);
    }
    // hooks and optimizers run between the steps, outside any withEngine scope
    setDefaultEngine(this.engine);
    const loader = this.loader('train_dataloader');
    this.trainLoop = this.buildTrainLoop(loader);
    this.valLoop = this.buildEvalLoop('val');
    this.optim = buildOptimWrapper(this.model, c.optim_wrapper, this.container, 'optim_wrapper', this.file);
    this.schedulers = this.buildSchedulers(loader.length);
    this.log(`seed: ${this.seed}; work dir: ${this.workDir}; ${this.model.numParameters(true).toLocaleString('en-US')} trainable parameters; ${loader.length} iterations per epoch`);
    const stale = await removeStaleTemporaries(this.workDir);
    if (stale.length) this.logger.warn(`removed ${stale.length} unfinished file${stale.length > 1 ? 's' : ''} of a run that was stopped while writing: ${stale.join(', ')}`);
    await this.loadOrResume();
    this.optim.initializeCountStatus(this.iter, this.maxIters);
    await this.callHook('beforeRun');
    this.model.train();
    await this.trainLoop.run();
    this.model.eval();
    this.engine.pullModule(this.model);
    await this.callHook('afterRun');
    this.visualizer.close();
    return this.model;
  }

  /** mmengine's Runner.val(): the val loop alone (after loading `load_from`). */
  async val(): Promise<Record<string, unknown>> {
    return this.evaluate('val');
  }

  /** mmengine's Runner.test(). */
  async test(): Promise<Record<string, unknown>> {
    return this.evaluate('test');
  }

  private async evaluate(mode: 'val' | 'test'): Promise<Record<string, unknown>> {
    setDefaultEngine(this.engine);
    const loop = this.buildEvalLoop(mode) ?? failNoEval(mode, this.file);
    if (mode === 'val') this.valLoop = loop;
    else this.testLoop = loop;
    await this.loadOrResume();
    await this.callHook('beforeRun');
    const metrics = await loop.run();
    await this.callHook('afterRun');
    return metrics;
  }

  /** Call `point` on every hook that has it, in priority order, awaiting each. */
  async callHook(point: HookPoint, ...args: unknown[]): Promise<void> {
    for (const h of this.hooks) {
      const f = h[point] as ((r: Runner, ...a: unknown[]) => unknown) | undefined;
      if (f) await f.call(h, this, ...args);
    }
  }

  /** Add a hook at its priority (after hooks of the same priority, as mmengine). */
  registerHook(hook: Hook, priority?: number | string): void {
    if (priority !== undefined) hook.priority = priorityValue(priority);
    const at = this.hooks.findIndex((h) => h.priority > hook.priority);
    this.hooks.splice(at === -1 ? this.hooks.length : at, 0, hook);
  }

  // --- checkpoints ---------------------------------------------------------------------------
  /**
   * Write `<dir>/<file>` in mmengine's layout (meta, state_dict, message_hub, optimizer,
   * param_schedulers), atomically; then, unless told not to, record it in
   * `<work_dir>/last_checkpoint` (also atomically) — a file is the latest only once whole.
   */
  async saveCheckpoint(dir: string, file: string, o: { saveOptimizer?: boolean; saveParamScheduler?: boolean; recordLatest?: boolean } = {}): Promise<string> {
    this.engine.pullModule(this.model);
    const done = this.trainLoop?.completed() ?? { epoch: 0, iter: 0 };
    const meta = {
      epoch: done.epoch,
      iter: done.iter,
      seed: this.seed,
      experiment_name: this.timestamp,
      time: new Date().toISOString(),
      dataset_meta: this.trainLoop?.dataloader.dataset.metainfo ?? {},
    };
    const ckpt: TrainingCheckpoint = {
      meta,
      stateDict: this.model.stateDict(),
      messageHub: this.messageHub.stateDict(),
    };
    if (o.saveOptimizer !== false && this.optim) ckpt.optimizer = this.optim.stateDict();
    if (o.saveParamScheduler !== false && this.schedulers.length) ckpt.paramSchedulers = this.schedulers.map((s) => s.stateDict());
    await this.callHook('beforeSaveCheckpoint', ckpt);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, file);
    await saveTrainingCheckpoint(path, ckpt);
    if (o.recordLatest !== false) await writeFileAtomic(join(this.workDir, 'last_checkpoint'), async (out) => out.write(Buffer.from(resolve(path))));
    return path;
  }

  /** mmengine's load_or_resume: resume from `load_from` or the work dir's last_checkpoint, or load weights only. */
  private async loadOrResume(): Promise<void> {
    const c = this.cfg;
    let from = c.load_from ?? null;
    if (c.resume && !from) {
      from = latestCheckpoint(this.workDir);
      if (!from) this.logger.warn(`resume: no last_checkpoint in ${this.workDir}; training from the start`);
    }
    if (!from) return;
    const ckpt = await readTrainingCheckpoint(from, { onWarning: (m) => this.logger.warn(m) });
    const report = this.model.loadStateDict(new Map(ckpt.stateDict), { strict: c.resume });
    this.engine.release(this.model);
    if (!c.resume) {
      this.log(`loaded weights from ${from}${report.missing.length ? ` (${report.missing.length} missing keys)` : ''}`);
      await this.callHook('afterLoadCheckpoint', ckpt);
      return;
    }
    this.resumeFrom(from, ckpt);
    this.resuming = true;
    await this.callHook('afterLoadCheckpoint', ckpt);
  }

  private resumeFrom(from: string, ckpt: TrainingCheckpoint): void {
    const meta = ckpt.meta;
    const num = (k: string) => {
      if (typeof meta[k] !== 'number') throw new UserError(`${from}: cannot resume: meta.${k} is ${JSON.stringify(meta[k])}, expected a number`);
      return meta[k] as number;
    };
    if (!this.trainLoop) throw new UserError('resume applies to training');
    this.trainLoop.epoch = num('epoch');
    this.trainLoop.iter = num('iter');
    if (typeof meta.seed === 'number' && meta.seed !== this.seed) {
      this.logger.warn(`resume: the checkpoint was trained with seed ${meta.seed}, the config says ${this.seed}; continuing with ${meta.seed}`);
      this.seed = meta.seed;
    }
    if (ckpt.optimizer && this.optim) this.optim.loadStateDict(ckpt.optimizer);
    const states = ckpt.paramSchedulers ?? [];
    if (states.length !== this.schedulers.length) {
      throw new UserError(`${from}: cannot resume: it holds ${states.length} parameter schedulers, the config builds ${this.schedulers.length}`);
    }
    this.schedulers.forEach((s, i) => s.loadStateDict(states[i]));
    this.messageHub.loadStateDict(ckpt.messageHub as Record<string, unknown> | undefined);
    this.log(`resumed from ${from} at epoch ${this.epoch}, iteration ${this.iter}`);
  }

  // --- building --------------------------------------------------------------------------
  private parse(config: Record<string, unknown>): RunnerConfig {
    const r = runnerConfigSchema.safeParse(config);
    if (!r.success) {
      const [where, what] = formatZodError(r.error, 'config');
      throw new ConfigError(where, what, this.file);
    }
    return r.data;
  }

  private parseSection<T>(schema: import('zod').ZodType<T, import('zod').ZodTypeDef, unknown>, value: unknown, key: string): T {
    const r = schema.safeParse(value);
    if (!r.success) {
      const [where, what] = formatZodError(r.error, key);
      throw new ConfigError(where ? `${key}.${where}` : key, what, this.file);
    }
    return r.data;
  }

  /** Build under the config's default_scope (mmpose's CocoDataset, ...). */
  private scoped<T>(fn: () => T): T {
    return withDefaultScope(this.cfg.default_scope, fn);
  }

  private loader(key: 'train_dataloader' | 'val_dataloader' | 'test_dataloader'): DataLoader {
    checkDataRoot(this.cfg[key], key, this.file);
    try {
      return this.scoped(() => buildDataLoader(this.cfg[key], { path: key, container: this.container, seed: this.seed }));
    } catch (e) {
      throw e instanceof ConfigError && !e.file && this.file ? e.inFile(this.file) : e;
    }
  }

  private buildHooks(): void {
    const given = this.cfg.default_hooks ?? {};
    const entries: [string, Record<string, unknown>][] = [];
    for (const [k, v] of Object.entries(DEFAULT_HOOKS)) {
      if (k in given && given[k] === null) continue;
      entries.push([`default_hooks.${k}`, (given[k] as Record<string, unknown> | undefined) ?? v]);
    }
    for (const [k, v] of Object.entries(given)) if (!(k in DEFAULT_HOOKS) && v) entries.push([`default_hooks.${k}`, v]);
    (this.cfg.custom_hooks ?? []).forEach((h, i) => entries.push([`custom_hooks.${i}`, h]));
    for (const [path, cfg] of entries) {
      const { priority, ...rest } = cfg;
      const hook = this.scoped(() => buildFrom(HOOKS, rest, this.container, path, this.file));
      if (!(hook instanceof Hook)) throw new ConfigError(`${path}.type`, `'${String(rest.type)}' is not a hook`, this.file);
      let p: number | undefined;
      try {
        p = priority === undefined ? undefined : priorityValue(priority as number | string);
      } catch (e) {
        throw new ConfigError(`${path}.priority`, (e as Error).message, this.file);
      }
      this.registerHook(hook, p);
    }
  }

  private buildTrainLoop(loader: DataLoader): TrainLoop {
    const cfg = { ...(this.cfg.train_cfg as Record<string, unknown>) };
    if (cfg.type === undefined) {
      // mmengine's short form: by_epoch picks the loop
      const byEpoch = cfg.by_epoch ?? true;
      delete cfg.by_epoch;
      cfg.type = byEpoch ? 'EpochBasedTrainLoop' : 'IterBasedTrainLoop';
    }
    const loop = buildFrom(LOOPS, cfg, this.container, 'train_cfg', this.file, { runner: this, dataloader: loader });
    if (!(loop && typeof loop === 'object' && 'maxIters' in loop)) throw new ConfigError('train_cfg.type', `'${String(cfg.type)}' is not a train loop`, this.file);
    return loop as TrainLoop;
  }

  private buildEvalLoop(mode: 'val' | 'test'): EvalLoop | null {
    const keys = [`${mode}_dataloader`, `${mode}_cfg`, `${mode}_evaluator`] as const;
    const present = keys.filter((k) => this.cfg[k] != null);
    if (present.length === 0) return null;
    if (present.length < 3) {
      const lack = keys.filter((k) => this.cfg[k] == null);
      throw new ConfigError(lack[0], `${keys.join(', ')} are given together or not at all; the config has ${present.join(', ')} but not ${lack.join(', ')}`, this.file);
    }
    const loader = this.loader(keys[0]);
    const evaluator = this.buildEvaluator(keys[2]);
    const cfg = { type: mode === 'val' ? 'ValLoop' : 'TestLoop', ...(this.cfg[keys[1]] as Record<string, unknown>) };
    return buildFrom(LOOPS, cfg, this.container, keys[1], this.file, { runner: this, dataloader: loader, evaluator }) as EvalLoop;
  }

  private buildEvaluator(key: 'val_evaluator' | 'test_evaluator'): Evaluator {
    const cfg = this.cfg[key]!;
    const list = Array.isArray(cfg) ? cfg : [cfg];
    const metrics = list.map((m, i) => this.scoped(() => buildFrom(METRICS, m, this.container, Array.isArray(cfg) ? `${key}.${i}` : key, this.file) as BaseMetric));
    return new Evaluator(metrics);
  }

  private buildSchedulers(epochLength: number): ParamScheduler[] {
    const cfg = this.cfg.param_scheduler;
    if (!cfg) return [];
    const list = Array.isArray(cfg) ? cfg : [cfg];
    const iterLoop = this.trainLoop?.constructor.name === 'IterBasedTrainLoop';
    return list.map((s, i) => {
      const path = Array.isArray(cfg) ? `param_scheduler.${i}` : 'param_scheduler';
      const sched = buildFrom(SCHEDULERS, s, this.container, path, this.file, { optimizer: this.optim, epoch_length: epochLength }) as ParamScheduler;
      if (iterLoop && sched.byEpoch) {
        throw new ConfigError(`${path}.by_epoch`, 'an epoch-based scheduler under IterBasedTrainLoop never steps: set by_epoch=False (and begin/end in iterations)', this.file);
      }
      if (sched.end !== INF && sched.end > (sched.byEpoch ? this.maxEpochs : this.maxIters)) {
        this.logger.debug(`${path}: ends at ${sched.end}, after training ends`);
      }
      return sched;
    });
  }
}

function failNoEval(mode: string, file?: string): never {
  throw new ConfigError(`${mode}_dataloader`, `${mode === 'val' ? 'validation' : 'testing'} needs ${mode}_dataloader, ${mode}_cfg and ${mode}_evaluator in the config`, file);
}

/**
 * A dataset folder that is not there is one line; for the synthetic sets it says the command
 * that makes them (`data/synthetic-pose` → `hrdet make-dataset synthetic --task pose`).
 */
function checkDataRoot(loaderCfg: unknown, key: string, file?: string): void {
  const root = (loaderCfg as { dataset?: { data_root?: unknown } } | null | undefined)?.dataset?.data_root;
  if (typeof root !== 'string' || root === '' || existsSync(root)) return;
  const task = /synthetic-(det|pose|seg|cls)\/?$/.exec(root)?.[1];
  const make = task ? `: make it with \`hrdet make-dataset synthetic --task ${task}${root.replace(/\/$/, '') === `data/synthetic-${task}` ? '' : ` --out ${root}`}\`` : '';
  throw new ConfigError(`${key}.dataset.data_root`, `dataset folder '${root}' does not exist${make}`, file);
}

/** The checkpoint `<work_dir>/last_checkpoint` names, when it (and the file) exist. */
export function latestCheckpoint(workDir: string): string | null {
  const f = join(workDir, 'last_checkpoint');
  if (!existsSync(f)) return null;
  const p = readFileSync(f, 'utf8').trim();
  const path = isAbsolute(p) ? p : join(workDir, p);
  return existsSync(path) ? path : null;
}

/** mmengine's timestamp: YYYYMMDD_HHMMSS, local time. */
function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}_${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

