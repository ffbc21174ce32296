import * as path from 'node:path';
import type { ConfigObject } from '../../config';

/**
 * How much work the demo does: the synthetic set, the training schedule both detectors share,
 * the proposal counts that bound the RoI head's cost, and the timed runs of the benchmark.
 */
export interface DemoBudget {
  name: 'full' | 'quick';
  /** Square images of the synthetic set; also the network input (one image: 3 x size x size). */
  imageSize: number;
  trainImages: number;
  valImages: number;
  batchSize: number;
  iterations: number;
  /** Iterations between checkpoints: a stopped demo resumes its training from the last one. */
  checkpointInterval: number;
  lr: number;
  /** Linear warm-up iterations (from lr / 10). */
  warmupIters: number;
  /** RPN proposals kept per image for the RoI head in training (mmdetection: 1000) and their sampled RoIs (512). */
  trainProposals: number;
  sampledRois: number;
  /** RPN proposals per image at test time (mmdetection: 1000). */
  testProposals: number;
  logInterval: number;
  benchmarkIters: number;
  benchmarkWarmup: number;
}

/**
 * `npm run demo`: sized for 15 minutes on 2 cores (docs/demo.md has the measured times). The
 * images are small (128 x 128) and the RoI head sees fewer proposals than mmdetection's COCO
 * schedule, so that two detectors train from scratch on 160 images each in that time: the
 * accuracy this reaches is the demo's budget, not the models'. The learning rate is
 * mmdetection's linear scaling (0.02 for 16 images) for batch 4, doubled for the short schedule.
 */
export const FULL_BUDGET: DemoBudget = {
  name: 'full',
  imageSize: 128,
  trainImages: 200,
  valImages: 40,
  batchSize: 4,
  iterations: 40,
  checkpointInterval: 10,
  lr: 0.01,
  warmupIters: 10,
  trainProposals: 300,
  sampledRois: 128,
  testProposals: 100,
  logInterval: 5,
  benchmarkIters: 10,
  benchmarkWarmup: 2,
};

/** `hrdet demo --quick`: every step of the full demo on a handful of tiny images, in under 3 minutes. */
export const QUICK_BUDGET: DemoBudget = {
  name: 'quick',
  imageSize: 64,
  trainImages: 4,
  valImages: 2,
  batchSize: 2,
  iterations: 2,
  checkpointInterval: 2,
  lr: 0.005,
  warmupIters: 1,
  trainProposals: 64,
  sampledRois: 32,
  testProposals: 32,
  logInterval: 1,
  benchmarkIters: 2,
  benchmarkWarmup: 1,
};

/**
 * The demo's config for one shipped synthetic detector config: the shipped file as `_base_`,
 * the budget over it, data read from `dataRoot`, no validation during training (the demo
 * evaluates with `hrdet test` afterwards) and one checkpoint at the end.
 */
export function demoConfig(shipped: string, dataRoot: string, b: DemoBudget): ConfigObject {
  const size = [b.imageSize, b.imageSize];
  const root = path.resolve(dataRoot);
  const load = [{ type: 'LoadImageFromFile' }];
  const pack = { type: 'PackDetInputs', meta_keys: ['img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'] };
  const testPipeline = [...load, { type: 'Resize', scale: size, keep_ratio: true }, { type: 'LoadAnnotations', with_bbox: true }, pack];
  return {
    _base_: path.resolve(shipped),
    input_shape: [3, b.imageSize, b.imageSize],
    model: {
      train_cfg: { rpn_proposal: { nms_pre: 1000, max_per_img: b.trainProposals }, rcnn: { sampler: { num: b.sampledRois } } },
      test_cfg: { rpn: { nms_pre: 1000, max_per_img: b.testProposals } },
    },
    train_dataloader: {
      batch_size: b.batchSize,
      dataset: {
        data_root: root,
        pipeline: [...load, { type: 'LoadAnnotations', with_bbox: true }, { type: 'Resize', scale: size, keep_ratio: true }, { type: 'RandomFlip', prob: 0.5 }, { type: 'PackDetInputs' }],
      },
    },
    val_dataloader: null,
    val_evaluator: null,
    val_cfg: null,
    test_dataloader: { dataset: { data_root: root, pipeline: testPipeline } },
    test_evaluator: { ann_file: path.join(root, 'annotations/instances_val.json') },
    train_cfg: { _delete_: true, type: 'IterBasedTrainLoop', max_iters: b.iterations },
    optim_wrapper: { optimizer: { lr: b.lr } },
    param_scheduler: [{ type: 'LinearLR', start_factor: 0.1, by_epoch: false, begin: 0, end: b.warmupIters }],
    default_hooks: {
      logger: { type: 'LoggerHook', interval: b.logInterval, log_metric_by_epoch: false },
      checkpoint: { _delete_: true, type: 'CheckpointHook', by_epoch: false, interval: b.checkpointInterval, max_keep_ckpts: 1 },
    },
    visualizer: { vis_backends: [{ type: 'LocalVisBackend' }] },
  };
}
