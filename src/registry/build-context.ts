import type { interfaces } from 'inversify';
import { ConfigError, UserError } from '../core/errors';
import { describeValue as describe } from '../core/describe-value';
import type { Registry } from './registry';
import { formatZodError } from './validation';

export type ConfigDict = Record<string, unknown>;

/**
 * What a component's factory gets besides its validated options: its own config path (for
 * error messages), the injected services, and a way to build its children.
 */
export class BuildContext {
  constructor(
    readonly container: interfaces.Container,
    readonly path: string,
    readonly file?: string,
  ) {}

  /** An injected shared service (logger, progress, checkpoint I/O, engine). */
  get<S>(id: interfaces.ServiceIdentifier<S>): S {
    return this.container.get<S>(id);
  }

  /** Build a child component from `cfg` found at `key` under this component's path. */
  build<T>(registry: Registry<T>, cfg: unknown, key: string, defaults: ConfigDict = {}): T {
    return buildFrom(registry, cfg, this.container, this.path ? `${this.path}.${key}` : key, this.file, defaults);
  }

  /** Report a bad option value of this component. */
  error(key: string, detail: string): ConfigError {
    return new ConfigError(key ? `${this.path}.${key}` : this.path, detail, this.file);
  }
}

/**
 * Resolve `cfg.type` in `registry`, validate the remaining options against the component's
 * schema and call its factory. Every failure names the config path.
 */
export function buildFrom<T>(
  registry: Registry<T>,
  cfg: unknown,
  container: interfaces.Container,
  path: string,
  file?: string,
  defaults: ConfigDict = {},
): T {
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) {
    throw new ConfigError(path, `expected a ${registry.kind} config object with a 'type', got ${describe(cfg)}`, file);
  }
  const { type, ...rest } = cfg as ConfigDict;
  if (typeof type !== 'string') {
    throw new ConfigError(`${path}.type`, `expected the name of a ${registry.kind} (a string), got ${describe(type)}`, file);
  }
  let spec;
  try {
    spec = registry.resolve(type, path);
  } catch (e) {
    throw e instanceof ConfigError ? e.inFile(file ?? '') : e;
  }
  const parsed = spec.schema.safeParse({ ...defaults, ...rest });
  if (!parsed.success) {
    const [where, what] = formatZodError(parsed.error, type);
    throw new ConfigError(where ? `${path}.${where}` : path, what, file);
  }
  try {
    return spec.factory(parsed.data, new BuildContext(container, path, file));
  } catch (e) {
    if (e instanceof ConfigError) throw e.file || !file ? e : e.inFile(file);
    // Construction depends on nothing but the config, so a failure inside a layer's
    // constructor (channels not divisible by groups, ...) is reported at this component;
    // the original error stays attached for --debug.
    if (e instanceof Error && !(e instanceof UserError)) {
      const err = new ConfigError(path, `${type}: ${e.message}`, file);
      (err as { cause?: unknown }).cause = e;
      throw err;
    }
    throw e;
  }
}

export { describeValue as describe } from '../core/describe-value';
