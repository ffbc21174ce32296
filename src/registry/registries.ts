import type { Module } from '../core/module';
import { Registry } from './registry';

/**
 * One registry per component kind, as mmdetection's scopes. Model parts share the Module
 * base; data, training and evaluation kinds hold whatever their layer defines.
 */
export const MODELS = new Registry<Module>('model');
export const BACKBONES = new Registry<Module>('backbone');
export const NECKS = new Registry<Module>('neck');
export const HEADS = new Registry<Module>('head');
export const LOSSES = new Registry<Module>('loss');
export const TASK_UTILS = new Registry<unknown>('task util');
export const KEYPOINT_CODECS = new Registry<unknown>('keypoint codec');
/** Layer initialisers of init_cfg (`(weight, key) => void`). */
export const WEIGHT_INITIALIZERS = new Registry<(w: import('../core/parameter').Parameter, key: string) => void>('weight initialiser');
export const DATASETS = new Registry<unknown>('dataset');
export const TRANSFORMS = new Registry<unknown>('transform');
export const DATA_SAMPLERS = new Registry<unknown>('data sampler');
export const METRICS = new Registry<unknown>('metric');
export const HOOKS = new Registry<unknown>('hook');
export const LOOPS = new Registry<unknown>('loop');
export const OPTIMIZERS = new Registry<unknown>('optimizer');
export const SCHEDULERS = new Registry<unknown>('scheduler');

/** By the plural the CLI uses (`hrdet list backbones`). */
export const REGISTRIES: Record<string, Registry<unknown>> = {
  models: MODELS,
  backbones: BACKBONES,
  necks: NECKS,
  heads: HEADS,
  losses: LOSSES,
  task_utils: TASK_UTILS,
  keypoint_codecs: KEYPOINT_CODECS,
  weight_initializers: WEIGHT_INITIALIZERS as Registry<unknown>,
  datasets: DATASETS,
  transforms: TRANSFORMS,
  data_samplers: DATA_SAMPLERS,
  metrics: METRICS,
  hooks: HOOKS,
  loops: LOOPS,
  optimizers: OPTIMIZERS,
  schedulers: SCHEDULERS,
};
