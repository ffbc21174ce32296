import type { StateDict } from '../core/module';

/** Tokens and contracts of the shared services the container injects into components. */
export const SERVICES = {
  Logger: Symbol.for('hrdet.Logger'),
  Progress: Symbol.for('hrdet.Progress'),
  CheckpointIO: Symbol.for('hrdet.CheckpointIO'),
} as const;

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  debug(msg: string): void;
}

/**
 * Reads checkpoints named by `init_cfg` Pretrained entries. The API layer, which owns checkpoint
 * I/O, supplies the file reader when none is bound (an application may bind its own: a cache,
 * a remote store).
 */
export interface CheckpointIO {
  loadStateDict(file: string): Promise<StateDict>;
}

export interface ProgressBar {
  tick(n?: number, status?: string): void;
  stop(): void;
}

export interface Progress {
  start(label: string, total: number): ProgressBar;
}

/** Logger writing to stderr so stdout stays machine-readable (`--json`). */
export class ConsoleLogger implements Logger {
  constructor(private readonly verbose = !!process.env.HRDET_DEBUG) {}
  info(msg: string): void {
    process.stderr.write(`${msg}\n`);
  }
  warn(msg: string): void {
    process.stderr.write(`warning: ${msg}\n`);
  }
  debug(msg: string): void {
    if (this.verbose) process.stderr.write(`debug: ${msg}\n`);
  }
}

export class SilentLogger implements Logger {
  readonly messages: string[] = [];
  info(msg: string): void {
    this.messages.push(msg);
  }
  warn(msg: string): void {
    this.messages.push(`warning: ${msg}`);
  }
  debug(): void {}
}
