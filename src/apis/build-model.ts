import { initWeights } from '../nn/init/init-cfg';
import * as path from 'node:path';
import type { Container } from 'inversify';
import '../components';
import { ConfigError, FileError } from '../core/errors';
import { defaultContainer } from '../registry/container';
import { MODELS } from '../registry/registries';
import { SERVICES, type CheckpointIO, type Logger } from '../registry/services';
import { BaseModel } from '../models/base-model';
import { withoutInit } from '../nn/init/initializers';
import { loadCheckpoint } from '../io/checkpoint';
import { buildFromConfig, inSourceFile, loadConfig, loadPlugins, type ConfigObject, type LoadedConfig } from '../config';

export interface BuildModelOptions {
  /** `--cfg-options` entries, `key=value`. */
  cfgOptions?: string[];
  /** Extra plugin modules (`--plugin`), loaded before the config's own `custom_imports`. */
  plugins?: string[];
  container?: Container;
  /**
   * Initialise the weights (default true): PyTorch's layer defaults at construction, then
   * `initWeights(model)` (every component's init_cfg, Pretrained checkpoints included).
   * Analysis, and loading a checkpoint that sets every weight, can skip it: initialising a
   * 100M-parameter model takes seconds.
   */
  initWeights?: boolean;
}

export interface BuiltModel {
  model: BaseModel;
  /** The fully merged config. */
  config: ConfigObject;
  /** Files the config was assembled from (the file itself first, then its bases). */
  files: string[];
}

/** Pretrained checkpoints from local files (mmengine also downloads URLs; hrdet does not). */
const FILE_CHECKPOINT_IO: CheckpointIO = {
  async loadStateDict(file: string) {
    if (/^[a-z][\w+.-]*:\/\//i.test(file)) {
      throw new FileError(file, 'hrdet reads local checkpoint files only: download it and set the checkpoint to the local path');
    }
    return (await loadCheckpoint(file)).stateDict;
  },
};

/**
 * Load a config (file path or object), load its plugins, and build `config.model` from the
 * MODELS registry. Errors name the file that set the offending value. The model is returned
 * in eval mode, its weights initialised as `init_cfg` says (see `initWeights`).
 */
export async function buildModel(source: string | ConfigObject, opts: BuildModelOptions = {}): Promise<BuiltModel> {
  const loaded: LoadedConfig =
    typeof source === 'string'
      ? loadConfig(source, { cfgOptions: opts.cfgOptions })
      : { config: source, files: [], sources: new Map() as LoadedConfig['sources'] };
  const file = typeof source === 'string' ? source : undefined;
  const baseDir = file ? path.dirname(path.resolve(file)) : process.cwd();
  loadPlugins(loaded.config, { baseDir, extra: opts.plugins ?? [], file });
  if (loaded.config.model === undefined) {
    throw new ConfigError('model', "the config has no 'model' section", file);
  }
  const container = opts.container ?? (defaultContainer() as Container);
  const construct = () => buildFromConfig(MODELS, loaded, 'model', { container });
  const model = opts.initWeights === false ? withoutInit(construct) : construct();
  if (!(model instanceof BaseModel)) {
    const type = String((loaded.config.model as { type?: unknown }).type);
    throw new ConfigError('model.type', `'${type}' is not a whole model (use a models registry entry such as FeaturePyramid)`, file);
  }
  if (opts.initWeights !== false) {
    const io = container.isBound(SERVICES.CheckpointIO) ? container.get<CheckpointIO>(SERVICES.CheckpointIO) : FILE_CHECKPOINT_IO;
    const logger = container.get<Logger>(SERVICES.Logger);
    try {
      await initWeights(model, { loadCheckpoint: (f) => io.loadStateDict(f), logger, path: 'model' });
    } catch (e) {
      throw inSourceFile(e, loaded);
    }
  }
  model.eval();
  return { model, config: loaded.config, files: loaded.files };
}
