import type { Container } from 'inversify';
import { ConfigError } from '../core/errors';
import { build } from '../registry/container';
import type { Registry } from '../registry/registry';
import { displayPath, getAt, sourceOf } from './config-tree';
import type { LoadedConfig } from './load-config';

/**
 * Build the component at `configPath` of a loaded config. A bad option is reported in the file
 * that set it (a base file, or `--cfg-options`), not only in the file the user passed.
 */
export function buildFromConfig<T>(
  registry: Registry<T>,
  loaded: LoadedConfig,
  configPath = 'model',
  opts: { container?: Container } = {},
): T {
  try {
    return build(registry, getAt(loaded.config, configPath), { path: configPath, container: opts.container });
  } catch (e) {
    throw inSourceFile(e, loaded);
  }
}

/** A ConfigError that names no file yet, now naming the file that set its config path. */
export function inSourceFile(e: unknown, loaded: LoadedConfig): unknown {
  if (!(e instanceof ConfigError) || e.file) return e;
  const top = loaded.files[0];
  return top ? e.inFile(displayPath(sourceOf(loaded.sources, e.configPath, top))) : e;
}
