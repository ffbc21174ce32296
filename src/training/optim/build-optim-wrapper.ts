import type { interfaces } from 'inversify';
import { ConfigError } from '../../core/errors';
import { describeValue } from '../../core/describe-value';
import type { Module } from '../../core/module';
import { buildFrom } from '../../registry/build-context';
import { OPTIMIZERS } from '../../registry/registries';
import { formatZodError } from '../../registry/validation';
import { OptimWrapper } from './optim-wrapper';
import { Optimizer } from './optimizer';
import { paramGroups, paramwiseCfg } from './paramwise';

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * mmengine's build_optim_wrapper with DefaultOptimWrapperConstructor: builds
 * `optim_wrapper.optimizer` from OPTIMIZERS, gives it the model's parameters grouped by
 * `paramwise_cfg` (see paramwise.ts), and wraps it in the `optim_wrapper.type` wrapper
 * (OptimWrapper by default) with the remaining options (clip_grad, accumulative_counts).
 */
export function buildOptimWrapper(model: Module, cfg: unknown, container: interfaces.Container, path = 'optim_wrapper', file?: string): OptimWrapper {
  if (!isDict(cfg)) throw new ConfigError(path, `expected an optimizer wrapper config object, got ${describeValue(cfg)}`, file);
  const { optimizer: optimizerCfg, paramwise_cfg: paramwise, ...rest } = cfg;
  // `constructor` is a config key here, not Object.prototype.constructor
  if (Object.prototype.hasOwnProperty.call(rest, 'constructor')) {
    const ctor: unknown = (rest as Record<string, unknown>)['constructor'];
    if (ctor !== 'DefaultOptimWrapperConstructor') {
      throw new ConfigError(`${path}.constructor`, `only 'DefaultOptimWrapperConstructor' is available, got ${describeValue(ctor)}`, file);
    }
    Reflect.deleteProperty(rest, 'constructor');
  }
  if (!isDict(optimizerCfg)) throw new ConfigError(`${path}.optimizer`, `expected an optimizer config such as {type: 'SGD', lr: 0.02}, got ${describeValue(optimizerCfg)}`, file);
  const optimizer = buildFrom(OPTIMIZERS, optimizerCfg, container, `${path}.optimizer`, file);
  if (!(optimizer instanceof Optimizer)) {
    throw new ConfigError(`${path}.optimizer.type`, `'${String(optimizerCfg.type)}' is not an optimizer (it is an optimizer wrapper)`, file);
  }
  const parsed = paramwise === undefined || paramwise === null ? undefined : paramwiseCfg.safeParse(paramwise);
  if (parsed && !parsed.success) {
    const [where, what] = formatZodError(parsed.error, 'paramwise_cfg');
    throw new ConfigError(`${path}.paramwise_cfg${where ? `.${where}` : ''}`, what, file);
  }
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  optimizer.setParamGroups(paramGroups(model, num(optimizerCfg.lr), num(optimizerCfg.weight_decay), parsed?.data));
  const wrapper = buildFrom(OPTIMIZERS, { type: 'OptimWrapper', ...rest }, container, path, file, { optimizer });
  if (!(wrapper instanceof OptimWrapper)) throw new ConfigError(`${path}.type`, `'${String(rest.type)}' is not an optimizer wrapper`, file);
  return wrapper;
}
