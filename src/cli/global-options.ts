import { Option, type Command } from 'commander';
import { UserError } from '../core/errors';
import type { BackendName, BackendReport } from '../engines/tfjs/backend';

/**
 * The tfjs backends, as engines/tfjs/backend orders them. Listed here so that commands that
 * never run a model start without loading tfjs.
 */
export const BACKEND_CHOICES = ['tensorflow', 'wasm', 'cpu'] as const satisfies readonly BackendName[];

/** Options every command accepts (declared once on the program; commander finds them anywhere on the line). */
export interface GlobalOptions {
  debug?: boolean;
  backend?: BackendName;
  plugin?: string[];
  cfgOptions?: string[];
}

export function addGlobalOptions(program: Command): Command {
  return program
    .option('--debug', 'show stack traces of errors')
    .addOption(
      new Option('--backend <name>', 'tfjs backend for commands that run a model (default: the first that works)')
        .choices([...BACKEND_CHOICES])
        .env('HRDET_BACKEND'),
    )
    .option(
      '--plugin <file>',
      'load a plugin module (.js or .ts) that registers components; repeatable',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--cfg-options <key=value...>', 'override config entries: dotted key=value, values read as mmengine does (numbers, true/false, None, [lists]); e.g. model.backbone.norm_eval=false');
}

/** The global options as seen from inside a command's action. */
export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/**
 * Initialise the tfjs backend a command will run a model on and report the choice on
 * stderr (stdout stays machine-readable). A backend that was asked for but cannot start
 * is a user error.
 */
export async function useBackend(opts: GlobalOptions, out: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<BackendReport> {
  const { initBackend } = await import('../engines/tfjs/backend');
  let report: BackendReport;
  try {
    report = await initBackend(opts.backend);
  } catch (e) {
    throw new UserError(`${(e as Error).message}${opts.backend ? '' : ' (choose one with --backend or HRDET_BACKEND)'}`);
  }
  const skipped = report.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  out(`tfjs backend: ${report.name}${skipped ? ` (skipped ${skipped})` : ''}`);
  return report;
}
