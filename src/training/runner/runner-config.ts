import { z } from 'zod';

/** mmengine's `randomness`: the run's seed (drawn and logged when null). */
export const randomnessSchema = z
  .object({
    seed: z.number().int().min(0).max(0xffffffff).nullable().default(null),
    diff_rank_seed: z.boolean().default(false),
    /** tfjs on CPU is deterministic on one backend; accepted for mm* configs. */
    deterministic: z.boolean().default(false),
  })
  .strict();

/** mmengine's env_cfg: CUDA / multiprocessing / distributed settings, which a single CPU process has no use for. */
export const envCfgSchema = z
  .object({
    cudnn_benchmark: z.boolean().optional(),
    mp_cfg: z.record(z.unknown()).optional(),
    dist_cfg: z.record(z.unknown()).optional(),
  })
  .strict();

/**
 * The top-level keys the runner reads, checked before anything is built. Other top-level keys
 * (dataset_type, data_root, train_pipeline, ... variables of mm* configs) are left alone.
 */
export const runnerConfigSchema = z
  .object({
    model: z.record(z.unknown()),
    train_dataloader: z.record(z.unknown()).nullable().optional(),
    train_cfg: z.record(z.unknown()).nullable().optional(),
    optim_wrapper: z.record(z.unknown()).nullable().optional(),
    param_scheduler: z.union([z.record(z.unknown()), z.array(z.record(z.unknown()))]).nullable().optional(),
    val_dataloader: z.record(z.unknown()).nullable().optional(),
    val_cfg: z.record(z.unknown()).nullable().optional(),
    val_evaluator: z.union([z.record(z.unknown()), z.array(z.record(z.unknown()))]).nullable().optional(),
    test_dataloader: z.record(z.unknown()).nullable().optional(),
    test_cfg: z.record(z.unknown()).nullable().optional(),
    test_evaluator: z.union([z.record(z.unknown()), z.array(z.record(z.unknown()))]).nullable().optional(),
    default_hooks: z.record(z.union([z.record(z.unknown()), z.null()])).nullable().optional(),
    custom_hooks: z.array(z.record(z.unknown())).nullable().optional(),
    load_from: z.string().nullable().optional(),
    resume: z.boolean().default(false),
    launcher: z.string().refine((v) => v === 'none', "hrdet trains in one process: launcher must be 'none' (train with mmdetection for distributed runs; see the README)").default('none'),
    env_cfg: envCfgSchema.optional(),
    randomness: randomnessSchema.default({}),
    log_processor: z.record(z.unknown()).optional(),
    log_level: z.enum(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']).default('INFO'),
    visualizer: z.record(z.unknown()).nullable().optional(),
    default_scope: z.string().nullable().optional(),
    experiment_name: z.string().optional(),
    work_dir: z.string().optional(),
    auto_scale_lr: z
      .object({ enable: z.boolean().refine((v) => !v, 'automatic learning-rate scaling is not available (one process): scale lr in optim_wrapper yourself').default(false), base_batch_size: z.number().int().positive().optional() })
      .strict()
      .optional(),
  })
  .passthrough();
export type RunnerConfig = z.output<typeof runnerConfigSchema>;

/** mmengine's default hooks, in the runner's default order (a config entry replaces one; null removes it). */
export const DEFAULT_HOOKS: Readonly<Record<string, Record<string, unknown>>> = {
  runtime_info: { type: 'RuntimeInfoHook' },
  timer: { type: 'IterTimerHook' },
  sampler_seed: { type: 'DistSamplerSeedHook' },
  logger: { type: 'LoggerHook' },
  param_scheduler: { type: 'ParamSchedulerHook' },
  checkpoint: { type: 'CheckpointHook', interval: 1 },
};
