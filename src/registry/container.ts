import 'reflect-metadata';
import { Container } from 'inversify';
import type { Module } from '../core/module';
import { BuildContext, buildFrom } from './build-context';
import { ConsoleLogger, SERVICES, type CheckpointIO, type Logger, type Progress } from './services';
import { TerminalProgress } from './terminal-progress';
import type { Registry } from './registry';

/**
 * The dependency-injection container: shared services are bound here and injected into
 * components through their BuildContext; a test or an embedding application binds its own.
 */
export function createContainer(overrides: { logger?: Logger; progress?: Progress; checkpointIO?: CheckpointIO } = {}): Container {
  const c = new Container();
  c.bind<Logger>(SERVICES.Logger).toConstantValue(overrides.logger ?? new ConsoleLogger());
  c.bind<Progress>(SERVICES.Progress).toConstantValue(overrides.progress ?? new TerminalProgress());
  if (overrides.checkpointIO) c.bind<CheckpointIO>(SERVICES.CheckpointIO).toConstantValue(overrides.checkpointIO);
  return c;
}

let shared: Container | null = null;

export function defaultContainer(): Container {
  if (!shared) shared = createContainer();
  return shared;
}

/** Build a component of `registry` from a config dict, reporting errors at `path` of `file`. */
export function build<T = Module>(
  registry: Registry<T>,
  cfg: unknown,
  opts: { path?: string; file?: string; container?: Container } = {},
): T {
  return buildFrom(registry, cfg, opts.container ?? defaultContainer(), opts.path ?? 'model', opts.file);
}

export { BuildContext };
