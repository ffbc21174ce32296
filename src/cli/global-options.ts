import { Option, type Command } from 'commander';
import { UserError } from '../core/errors';
import type { BackendName, BackendReport } from '../engines/tfjs/backend';
import type { KernelSetName } from '../engines/tfjs/kernels/ort/kernel-set';

/**
 * The tfjs backends, as engines/tfjs/backend orders them. Listed here so that commands that
 * never run a model start without loading tfjs.
 */
export const BACKEND_CHOICES = ['tensorflow', 'wasm', 'cpu'] as const satisfies readonly BackendName[];

/** The kernel sets of engines/tfjs/kernels/ort/kernel-set, for the same reason. */
export const KERNEL_CHOICES = ['ort', 'wasm'] as const satisfies readonly KernelSetName[];

/** Options every command accepts (declared once on the program; commander finds them anywhere on the line). */
export interface GlobalOptions {
  debug?: boolean;
  backend?: BackendName;
  kernels?: KernelSetName;
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
    .addOption(
      new Option('--kernels <set>', "kernels for tfjs's convolutions and matrix products on wasm/cpu: onnxruntime's or the backend's own (default: ort)")
        .choices([...KERNEL_CHOICES])
        .env('HRDET_KERNELS'),
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
    report = await initBackend(opts.backend, opts.kernels ? { kernels: opts.kernels } : {});
  } catch (e) {
    throw new UserError(`${(e as Error).message}${opts.backend ? '' : ' (choose one with --backend or HRDET_BACKEND)'}`);
  }
  out(backendLine(report));
  return report;
}

/** One line: the backend, its threads, its kernel set, and why anything preferred was not used. */
export function backendLine(report: BackendReport): string {
  const skipped = report.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  const parts = [report.threads ? `${report.threads} wasm thread${report.threads > 1 ? 's' : ''}` : ''];
  if (report.kernels) parts.push(`kernels: ${report.kernels.name}${report.kernels.reason ? ` (ort unavailable: ${report.kernels.reason})` : ''}`);
  const detail = parts.filter(Boolean).join(', ');
  return `tfjs backend: ${report.name}${detail ? ` [${detail}]` : ''}${skipped ? ` (skipped ${skipped})` : ''}`;
}
