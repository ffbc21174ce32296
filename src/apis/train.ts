import { existsSync, mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Container } from 'inversify';
import { FileError, UserError } from '../core/errors';
import { seed as seedGlobal } from '../core/random';
import { formatConfig, loadConfig, type ConfigObject } from '../config';
import { writeFileAtomic } from '../io/atomic-write';
import { defaultContainer } from '../registry/container';
import { Runner } from '../training/runner/runner';
import { buildModel } from './build-model';
import { tfjsEngine } from './forward';
import { plotScalarCurves } from './plot-log';

export interface TrainOptions {
  /** Default: the config's work_dir, else `work_dirs/<config name>` (mmengine's). */
  workDir?: string;
  /** true: resume from the work dir's last checkpoint; a path: resume from that file. */
  resume?: boolean | string;
  cfgOptions?: string[];
  plugins?: string[];
  container?: Container;
}

export interface TrainResult {
  runner: Runner;
  workDir: string;
  /** The text log and vis_data of this run. */
  logDir: string;
  /** `vis_data/curve.png`, when the run logged a loss. */
  curve?: string;
}

/** The run's work folder: --work-dir, then the config's work_dir, then work_dirs/<config name>. */
export function workDirFor(configPath: string, config: ConfigObject, given?: string): string {
  if (given) return given;
  if (typeof config.work_dir === 'string' && config.work_dir) return config.work_dir;
  return join('work_dirs', basename(configPath, extname(configPath)));
}

/**
 * `hrdet train`: the seed set before the model is built (its initial weights follow it), the
 * config saved as a Python config beside the checkpoints (`<work_dir>/<name>.py`, mmengine's),
 * then the runner trains. `resume` continues a stopped run exactly (see Runner).
 */
export async function train(configPath: string, o: TrainOptions = {}): Promise<TrainResult> {
  checkResumeArg(o.resume);
  const container = o.container ?? (defaultContainer() as Container);
  const { config } = loadConfig(configPath, { cfgOptions: o.cfgOptions });
  const randomness = (config.randomness ?? {}) as { seed?: number | null };
  const seed = typeof randomness.seed === 'number' ? randomness.seed : (Date.now() ^ (process.pid << 16)) >>> 0;
  const cfg: ConfigObject = { ...config, randomness: { ...randomness, seed } };
  if (typeof o.resume === 'string') Object.assign(cfg, { load_from: o.resume, resume: true });
  else if (o.resume) cfg.resume = true;
  const workDir = workDirFor(configPath, cfg, o.workDir);
  seedGlobal(seed);
  const { model } = await buildModel(configPath, { cfgOptions: o.cfgOptions, plugins: o.plugins, container });
  mkdirSync(workDir, { recursive: true });
  const configText = formatConfig(cfg, 'py');
  await writeFileAtomic(join(workDir, `${basename(configPath, extname(configPath))}.py`), async (out) => out.write(Buffer.from(configText)));
  const runner = new Runner({ model, config: cfg, file: configPath, workDir, engine: tfjsEngine(), container, configText });
  await runner.train();
  const curve = await drawCurves(runner);
  return { runner, workDir, logDir: runner.logDir, ...(curve ? { curve } : {}) };
}

/**
 * The run's loss (and first validation metric) curves as `vis_data/curve.png`, as
 * `hrdet plot-log` draws them. A picture that cannot be drawn is a warning, never a failed run.
 */
async function drawCurves(runner: Runner): Promise<string | undefined> {
  const scalars = join(runner.logDir, 'vis_data', 'scalars.json');
  if (!existsSync(scalars)) return undefined;
  // the first validation metric (the val loop's data_time / time are timings, not metrics)
  const metric = [...runner.messageHub.logScalars.keys()]
    .filter((k) => k.startsWith('val/'))
    .map((k) => k.slice('val/'.length))
    .find((k) => k !== 'data_time' && k !== 'time');
  const out = join(runner.logDir, 'vis_data', 'curve.png');
  try {
    const r = await plotScalarCurves(scalars, metric ? ['loss', metric] : ['loss'], out);
    return r ? out : undefined;
  } catch (e) {
    runner.logger.warn(`the loss curve was not drawn: ${(e as Error).message}`);
    return undefined;
  }
}

/** Refuse a resume file that does not exist before anything is built. */
export function checkResumeArg(resume: boolean | string | undefined): void {
  if (typeof resume !== 'string') return;
  if (resume.trim() === '') throw new UserError("--resume: give a checkpoint path, or no value for the work dir's last checkpoint");
  if (!existsSync(resume)) throw new FileError(resume, 'no such checkpoint to resume from');
}
