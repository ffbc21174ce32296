/**
 * The shipped synthetic training configs read the folders `hrdet make-dataset synthetic` writes
 * by default: every data loader's dataset has `data_root: data/synthetic-<task>`, so
 * `hrdet train <config>` run from the repository finds the set (the learning tests override
 * the roots, so they cannot catch a config that lacks one).
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { ROOT } from '../cli/run-cli';

const CONFIGS = {
  cls: 'configs/synthetic/hrnet-w18-small_synthetic-cls.json',
  seg: 'configs/synthetic/fcn_hrnet-w18-small_synthetic-seg.json',
  pose: 'configs/synthetic/td-hm_hrnet-w18-small_synthetic-256x192.json',
} as const;

describe('training: the synthetic configs read the default make-dataset folders', () => {
  for (const [task, file] of Object.entries(CONFIGS)) {
    it(`${file}: train and val datasets under data/synthetic-${task}`, () => {
      const { config } = loadConfig(join(ROOT, file));
      for (const key of ['train_dataloader', 'val_dataloader']) {
        const dataset = (config[key] as { dataset: { data_root?: unknown } }).dataset;
        expect(dataset.data_root, `${key}.dataset.data_root`).to.equal(`data/synthetic-${task}`);
      }
    });
  }
});
