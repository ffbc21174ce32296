import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Container } from 'inversify';
import { ConfigError, FileError } from '../../core/errors';
import { loadConfig, type ConfigObject } from '../../config';
import { test } from '../test';
import { configKey } from './published-figures';
import type { EvaluateFn } from './run-benchmark';

export interface CheckpointEvaluatorOptions {
  /** Where the evaluation configs, logs and metrics JSON go (one folder per config). */
  workDir: string;
  cfgOptions?: string[];
  plugins?: string[];
  container?: Container;
}

/**
 * The benchmark's accuracy hook as `hrdet test` computes it: the config's model with the
 * checkpoint's weights, the test loop and evaluator over `dataset`, which is either
 *  - a config file: its `test_dataloader` and `test_evaluator` replace the benchmarked config's, or
 *  - a folder: the benchmarked config's own test split, read from there (`data_root` set to the
 *    folder, the evaluator's annotation file the dataset's `ann_file` in it), e.g. what
 *    `hrdet make-dataset synthetic --task det --out DIR` wrote.
 * The numeric metrics come back (COCO: `coco/bbox_mAP`, `coco/bbox_mAP_50`, ...). The model is
 * built again from the config, as `hrdet test` does, so the numbers are exactly its numbers.
 */
export function checkpointEvaluator(o: CheckpointEvaluatorOptions): EvaluateFn {
  return async ({ config, checkpoint, dataset }) => {
    const dir = path.join(o.workDir, configKey(config));
    mkdirSync(dir, { recursive: true });
    const evalConfig = path.join(dir, `${configKey(config)}.json`);
    writeFileSync(evalConfig, `${JSON.stringify({ _base_: path.resolve(config), ...testSplitFrom(config, dataset, o.cfgOptions) }, null, 2)}\n`);
    const { metrics } = await test(evalConfig, checkpoint, { workDir: dir, cfgOptions: o.cfgOptions, plugins: o.plugins, container: o.container });
    return numericMetrics(metrics);
  };
}

/** The `test_dataloader` and `test_evaluator` entries that point the config at `dataset`. */
export function testSplitFrom(config: string, dataset: string, cfgOptions?: string[]): ConfigObject {
  if (!existsSync(dataset)) throw new FileError(dataset, '--dataset: no such test config or dataset folder');
  if (statSync(dataset).isDirectory()) return fromFolder(config, dataset, cfgOptions);
  const { config: other } = loadConfig(dataset);
  for (const key of ['test_dataloader', 'test_evaluator']) {
    if (other[key] == null || typeof other[key] !== 'object') throw new ConfigError(key, `--dataset names a config without ${key} to evaluate with`, dataset);
  }
  return {
    test_dataloader: { ...(other.test_dataloader as ConfigObject), _delete_: true },
    test_evaluator: Array.isArray(other.test_evaluator) ? other.test_evaluator : { ...(other.test_evaluator as ConfigObject), _delete_: true },
  };
}

function fromFolder(config: string, folder: string, cfgOptions?: string[]): ConfigObject {
  const { config: cfg } = loadConfig(config, { cfgOptions });
  const loader = cfg.test_dataloader as { dataset?: { ann_file?: unknown } } | undefined;
  const annFile = loader?.dataset?.ann_file;
  if (typeof annFile !== 'string' || !annFile) {
    throw new ConfigError('test_dataloader.dataset.ann_file', '--dataset is a folder, so the config must name the annotation file to read in it', config);
  }
  const ann = path.join(folder, annFile);
  if (!existsSync(ann)) throw new FileError(ann, `--dataset ${folder}: the config's test annotation file (test_dataloader.dataset.ann_file '${annFile}') is not in the folder`);
  return {
    test_dataloader: { dataset: { data_root: folder } },
    test_evaluator: { ann_file: ann },
  };
}

function numericMetrics(metrics: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}
