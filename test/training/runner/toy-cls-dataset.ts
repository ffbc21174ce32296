/**
 * A classification dataset drawn in memory, for the trainer's tests: image i shows a bright
 * vertical band in the left, middle or right third (its class, i mod 3) over seeded noise,
 * flipped vertically at random (a draw from the loader's per-sample generator). Also usable
 * as a plugin file of the CLI (`--plugin dist/test/training/runner/toy-cls-dataset.js`).
 */
import { z } from 'zod';
import { hostTensor } from '../../../src/core/host-tensor';
import { Random } from '../../../src/core/random';
import { DATASETS } from '../../../src/registry/registries';
import { ClsDataSample } from '../../../src/structures/cls-data-sample';

const schema = z
  .object({
    num: z.number().int().positive(),
    size: z.number().int().positive().default(32),
    seed: z.number().int().default(0),
    test_mode: z.boolean().default(false),
  })
  .strict();
type Options = z.output<typeof schema>;

export class ToyClsDataset {
  readonly annFile = 'toy-cls';
  readonly metainfo = { classes: ['left', 'middle', 'right'] };

  constructor(readonly o: Options) {}

  get length(): number {
    return this.o.num;
  }

  async getItem(i: number, rng: Random): Promise<{ inputs: ReturnType<typeof hostTensor>; data_samples: ClsDataSample }> {
    const s = this.o.size;
    const label = i % 3;
    const noise = Random.derive(this.o.seed, i);
    const data = new Uint8Array(3 * s * s);
    const flip = !this.o.test_mode && rng.next() < 0.5;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < s; y++) {
        for (let x = 0; x < s; x++) {
          const band = Math.floor((3 * x) / s) === label && (flip ? y >= s / 4 : y < (3 * s) / 4);
          data[(c * s + y) * s + x] = Math.min(255, Math.floor(noise.next() * 120) + (band ? 110 : 0));
        }
      }
    }
    const sample = new ClsDataSample({ img_shape: [s, s], ori_shape: [s, s], img_id: i });
    sample.gt_label = Int32Array.of(label);
    return { inputs: hostTensor('uint8', [3, s, s], data), data_samples: sample };
  }
}

if (!DATASETS.has('ToyClsDataset')) {
  DATASETS.register(schema, (o: Options) => new ToyClsDataset(o), { name: 'ToyClsDataset', summary: 'in-memory bands, for tests' });
}

const stage = (modules: number, block: string, channels: number[]) => ({ num_modules: modules, num_branches: channels.length, block, num_blocks: channels.map(() => 1), num_channels: channels });

/** A tiny HRNet classifier over the toy set: ~40k parameters, a few ms per 32×32 image. */
export function toyConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: {
      type: 'ImageClassifier',
      data_preprocessor: { type: 'ClsDataPreprocessor', mean: [128, 128, 128], std: [64, 64, 64] },
      // BN running statistics follow the batches quickly (momentum 0.5): a run this short is
      // validated on its own weights, not on statistics still half at their initial values
      backbone: { type: 'HRNet', norm_eval: false, norm_cfg: { type: 'BN', momentum: 0.5 }, extra: { stage1: stage(1, 'BOTTLENECK', [8]), stage2: stage(1, 'BASIC', [4, 8]), stage3: stage(1, 'BASIC', [4, 8, 16]), stage4: stage(1, 'BASIC', [4, 8, 16, 32]) } },
      head: { type: 'HRNetClsHead', in_channels: [4, 8, 16, 32], head_channels: [4, 8, 16, 32], final_channels: 32, num_classes: 3, norm_cfg: { type: 'BN', momentum: 0.5 } },
    },
    train_dataloader: { batch_size: 6, sampler: { type: 'DefaultSampler', shuffle: true }, dataset: { type: 'ToyClsDataset', num: 24 } },
    val_dataloader: { batch_size: 8, sampler: { type: 'DefaultSampler', shuffle: false }, dataset: { type: 'ToyClsDataset', num: 24, seed: 7, test_mode: true } },
    val_evaluator: { type: 'Accuracy', topk: [1] },
    val_cfg: { type: 'ValLoop' },
    train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: 4, val_interval: 2 },
    optim_wrapper: { optimizer: { type: 'SGD', lr: 0.02, momentum: 0.9, weight_decay: 0.0001 } },
    param_scheduler: [
      { type: 'LinearLR', start_factor: 0.1, by_epoch: false, begin: 0, end: 4 },
      { type: 'MultiStepLR', milestones: [6], gamma: 0.1, by_epoch: true },
    ],
    default_hooks: { logger: { type: 'LoggerHook', interval: 2 }, checkpoint: { type: 'CheckpointHook', interval: 1, max_keep_ckpts: 2, save_best: 'accuracy/top1' } },
    randomness: { seed: 3 },
    ...overrides,
  };
}
