/**
 * The shipped synthetic training configs learn, in CI-sized runs: each config (its model, data
 * preprocessor, dataset type, optimizer) trains on a few images of a synthetic set made here,
 * without augmentation and at a constant learning rate, and must memorise them — the loss falls
 * by the stated factor and the metric on the same images ends well above chance. (Generalising
 * to the validation split takes the full schedules; docs/training.md has what they reach.)
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeSyntheticDataset, type SyntheticTaskName } from '../../src/apis/make-dataset';
import { train } from '../../src/apis/train';
import { initBackend } from '../../src/engines/tfjs/backend';
import { createContainer } from '../../src/registry/container';
import { SilentLogger, type Progress } from '../../src/registry/services';
import { ROOT } from '../cli/run-cli';

const quiet: Progress = { start: () => ({ tick: () => {}, stop: () => {} }) };
const constant = (n: number) => [{ type: 'ConstantLR', factor: 1.0, by_epoch: false, begin: 0, end: n }];

interface Case {
  config: string;
  task: SyntheticTaskName;
  data: { train: number; val: number; size: [number, number] };
  /** Overrides of the shipped config (merged over it as a `_base_`). */
  overrides: (root: string) => Record<string, unknown>;
  metric: string;
  lossFactor: number;
  metricAbove: number;
}

const CASES: Case[] = [
  {
    config: 'configs/synthetic/fcn_hrnet-w18-small_synthetic-seg.json',
    task: 'seg',
    data: { train: 4, val: 1, size: [128, 128] },
    overrides: (r) => {
      const pipeline = [{ type: 'LoadImageFromFile' }, { type: 'LoadAnnotations' }, { type: 'PackSegInputs' }];
      const dataset = { data_root: r, data_prefix: { img_path: 'img_dir/train', seg_map_path: 'ann_dir/train' }, pipeline };
      return {
        model: { data_preprocessor: { size: [128, 128] } },
        train_dataloader: { batch_size: 4, dataset },
        val_dataloader: { dataset },
        train_cfg: { type: 'IterBasedTrainLoop', max_iters: 50, val_interval: 50 },
        optim_wrapper: { optimizer: { lr: 0.05 } },
        param_scheduler: constant(50),
        default_hooks: { logger: { type: 'LoggerHook', interval: 5, log_metric_by_epoch: false }, checkpoint: { type: 'CheckpointHook', by_epoch: false, interval: 50 } },
      };
    },
    metric: 'mIoU',
    lossFactor: 4,
    metricAbove: 50, // 7 classes; all-background scores 11 here
  },
  {
    config: 'configs/synthetic/hrnet-w18-small_synthetic-cls.json',
    task: 'cls',
    data: { train: 12, val: 6, size: [32, 32] },
    overrides: (r) => {
      const pipeline = [{ type: 'LoadImageFromFile' }, { type: 'PackInputs' }];
      const dataset = { data_root: r, classes: join(r, 'meta/classes.txt'), ann_file: 'meta/train.txt', data_prefix: 'train', pipeline };
      return {
        train_dataloader: { batch_size: 12, dataset },
        val_dataloader: { dataset },
        train_cfg: { _delete_: true, type: 'EpochBasedTrainLoop', max_epochs: 40, val_interval: 40 },
        param_scheduler: constant(40),
        default_hooks: { logger: { type: 'LoggerHook', interval: 1 }, checkpoint: { type: 'CheckpointHook', interval: 40 } },
      };
    },
    metric: 'accuracy/top1',
    lossFactor: 10,
    metricAbove: 50, // 6 classes: chance is 16.7
  },
  {
    config: 'configs/synthetic/td-hm_hrnet-w18-small_synthetic-256x192.json',
    task: 'pose',
    data: { train: 3, val: 1, size: [256, 256] },
    overrides: (r) => {
      const codec = { type: 'MSRAHeatmap', input_size: [96, 128], heatmap_size: [24, 32], sigma: 2 };
      const crop = [{ type: 'LoadImage' }, { type: 'GetBBoxCenterScale' }, { type: 'TopdownAffine', input_size: [96, 128] }];
      const split = { data_root: r, ann_file: 'annotations/person_keypoints_train.json', data_prefix: { img: 'train/' } };
      return {
        model: { head: { decoder: codec }, test_cfg: { flip_test: false } },
        train_dataloader: { batch_size: 8, dataset: { ...split, pipeline: [...crop, { type: 'GenerateTarget', encoder: codec }, { type: 'PackPoseInputs' }] } },
        val_dataloader: { dataset: { ...split, pipeline: [...crop, { type: 'PackPoseInputs' }] } },
        val_evaluator: { type: 'CocoMetric', ann_file: join(r, 'annotations/person_keypoints_train.json') },
        train_cfg: { _delete_: true, type: 'EpochBasedTrainLoop', max_epochs: 40, val_interval: 40 },
        param_scheduler: constant(40),
        default_hooks: { logger: { type: 'LoggerHook', interval: 1 }, checkpoint: { type: 'CheckpointHook', interval: 40 } },
      };
    },
    metric: 'coco/AP',
    lossFactor: 3,
    metricAbove: 0.4, // an untrained model scores 0
  },
  ...(['faster-rcnn_r18_fpn_synthetic', 'fcos_hrnetv2p-w18-small_synthetic'] as const).map(
    (name): Case => ({
      config: `configs/synthetic/${name}.json`,
      task: 'det',
      data: { train: 2, val: 1, size: [256, 256] },
      overrides: (r) => ({
        train_dataloader: {
          batch_size: 2,
          dataset: {
            data_root: r,
            pipeline: [{ type: 'LoadImageFromFile' }, { type: 'LoadAnnotations', with_bbox: true }, { type: 'Resize', scale: [256, 256], keep_ratio: true }, { type: 'RandomFlip', prob: 0 }, { type: 'PackDetInputs' }],
          },
        },
        val_dataloader: { dataset: { data_root: r, ann_file: 'annotations/instances_train.json', data_prefix: { img: 'train/' } } },
        val_evaluator: { ann_file: join(r, 'annotations/instances_train.json') },
        train_cfg: { max_epochs: 30, val_interval: 30 },
        // the whole two-image set is one batch: an optimizer step every batch (the configs
        // accumulate 2 batches of 2 to make their batch of 4 fit the wasm heap)
        optim_wrapper: { accumulative_counts: 1 },
        param_scheduler: [{ type: 'LinearLR', start_factor: 0.1, by_epoch: false, begin: 0, end: 5 }],
        default_hooks: { logger: { type: 'LoggerHook', interval: 1 }, checkpoint: { type: 'CheckpointHook', interval: 30, save_best: null } },
      }),
      metric: 'coco/bbox_mAP',
      lossFactor: 3,
      metricAbove: 0.1, // an untrained detector scores 0
    }),
  ),
];

describe('training: the synthetic configs learn (memorising a few images)', function () {
  this.timeout(900000);
  let root: string;
  before(async () => {
    await initBackend(process.env.HRDET_BACKEND ?? 'wasm');
    root = mkdtempSync(join(tmpdir(), 'hrdet-synthetic-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  for (const c of CASES) {
    it(`${c.config}: the loss falls ${c.lossFactor}x and ${c.metric} ends above ${c.metricAbove}`, async () => {
      const data = join(root, c.task);
      await makeSyntheticDataset({ task: c.task, out: data, ...c.data, progress: quiet });
      const cfg = join(root, `${c.task}.json`);
      writeFileSync(cfg, JSON.stringify({ _base_: resolve(ROOT, c.config), ...c.overrides(data) }));
      const container = createContainer({ logger: new SilentLogger(), progress: quiet });
      const { logDir } = await train(cfg, { workDir: join(root, `work-${c.task}`), container });
      const lines = readFileSync(join(logDir, 'vis_data', 'scalars.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
      const losses = lines.filter((l) => 'loss' in l).map((l) => l.loss);
      const metric = lines.filter((l) => c.metric in l).map((l) => l[c.metric]);
      expect(losses[0] / losses[losses.length - 1], `loss ${losses[0]} → ${losses[losses.length - 1]}`).to.be.at.least(c.lossFactor);
      expect(metric[metric.length - 1], c.metric).to.be.above(c.metricAbove);
    });
  }
});
