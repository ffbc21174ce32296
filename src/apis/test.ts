import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Container } from 'inversify';
import { ConfigError, FileError } from '../core/errors';
import { loadConfig, type ConfigObject } from '../config';
import { defaultContainer } from '../registry/container';
import { Runner } from '../training/runner/runner';
import { buildModel } from './build-model';
import { tfjsEngine } from './forward';
import { TestOutputsHook } from './test-outputs';
import { workDirFor } from './train';

export interface TestOptions {
  workDir?: string;
  cfgOptions?: string[];
  plugins?: string[];
  container?: Container;
  /** Evaluate with `val_dataloader` / `val_evaluator` instead of the test ones. */
  split?: 'test' | 'val';
  /** COCO-format results file: bbox (segm RLE for mask models) or keypoints records. */
  out?: string;
  /** Folder for the test images drawn with their predictions. */
  showDir?: string;
}

export interface TestResult {
  metrics: Record<string, unknown>;
  /** `<work_dir>/<timestamp>/<timestamp>.json`: the metrics as written. */
  metricsFile: string;
}

/**
 * mmdetection's tools/test.py: the checkpoint's weights (`state_dict`, EMA averages where the
 * run kept them) into the config's model, the test loop over `test_dataloader` with
 * `test_evaluator` (or the val ones), the metrics printed and written beside the log; with
 * `out` the predictions as a COCO results file, with `showDir` drawn over each test image.
 */
export async function test(configPath: string, checkpoint: string, o: TestOptions = {}): Promise<TestResult> {
  if (!existsSync(checkpoint)) throw new FileError(checkpoint, 'no such checkpoint');
  const container = o.container ?? (defaultContainer() as Container);
  const { config } = loadConfig(configPath, { cfgOptions: o.cfgOptions });
  const split = o.split ?? 'test';
  const pick = (k: string) => (split === 'val' ? config[`val_${k}`] : config[`test_${k}`]);
  if (pick('dataloader') == null) throw new ConfigError(`${split}_dataloader`, `the config has no ${split}_dataloader to test on`, configPath);
  const { type: _loop, ...loopOptions } = (pick('cfg') ?? {}) as Record<string, unknown>;
  const cfg: ConfigObject = {
    ...config,
    load_from: checkpoint,
    resume: false,
    test_dataloader: pick('dataloader'),
    test_evaluator: pick('evaluator'),
    test_cfg: { ...loopOptions, type: 'TestLoop' },
  };
  const { model } = await buildModel(configPath, { cfgOptions: o.cfgOptions, plugins: o.plugins, container, initWeights: false });
  const workDir = workDirFor(configPath, cfg, o.workDir);
  mkdirSync(workDir, { recursive: true });
  const runner = new Runner({ model, config: cfg, file: configPath, workDir, engine: tfjsEngine(), container });
  if (o.out || o.showDir) runner.registerHook(new TestOutputsHook({ out: o.out, showDir: o.showDir }));
  const metrics = await runner.test();
  const metricsFile = join(runner.logDir, `${runner.timestamp}.json`);
  writeFileSync(metricsFile, `${JSON.stringify({ config: basename(configPath, extname(configPath)), checkpoint, split, metrics }, null, 2)}\n`);
  return { metrics, metricsFile };
}
