import 'reflect-metadata';
import { Command } from 'commander';
import { addGlobalOptions } from './global-options';
import { EXIT_OK, reportError } from './report-error';
import * as analyze from './commands/analyze';
import * as list from './commands/list';
import * as printConfig from './commands/print-config';
import * as forward from './commands/forward';
import * as exportCmd from './commands/export';
import * as makeDataset from './commands/make-dataset';
import * as evalCoco from './commands/eval-coco';
import * as evalSeg from './commands/eval-seg';
import * as trainCmd from './commands/train';
import * as testCmd from './commands/test';
import * as inferCmd from './commands/infer';
import * as benchmark from './commands/benchmark';
import * as plotLogCmd from './commands/plot-log';
import * as browseDatasetCmd from './commands/browse-dataset';
import * as demo from './commands/demo';

/** A command is one file in commands/ exporting `register(program)`; list it here to ship it. */
interface CommandModule {
  register(program: Command): void;
}

export const COMMANDS: CommandModule[] = [list, printConfig, analyze, forward, exportCmd, makeDataset, evalCoco, evalSeg, trainCmd, testCmd, inferCmd, benchmark, plotLogCmd, browseDatasetCmd, demo];

const EXAMPLES = `
Examples:
  $ hrdet list backbones
  $ hrdet print-config configs/hrnet/td-hm_hrnet-w32_8xb64-210e_coco-256x192.json --format yaml
  $ hrdet analyze configs/hrnet/td-hm_hrnet-w32_8xb64-210e_coco-256x192.json
  $ hrdet analyze examples/custom-backbone/config.json --cfg-options model.backbone.widths=[8,16,32,64]
  $ hrdet list backbones --plugin examples/custom-backbone/tiny-convnet.ts

Run \`hrdet <command> --help\` for a command's options.
Errors the user can fix exit with code 2 and print one line; other failures exit with 1.`;

/** The `hrdet` program with every command registered; errors are thrown, never printed by commander. */
export function buildProgram(): Command {
  const program = new Command('hrdet')
    .description('HRNet-family vision models: build from configs, inspect, analyse, run and export')
    .version(require('../../../package.json').version, '-V, --version', 'print the hrdet version')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showSuggestionAfterError(true)
    .addHelpText('after', EXAMPLES);
  addGlobalOptions(program);
  for (const c of COMMANDS) c.register(program);
  // commander would print usage errors itself and exit; hrdet reports them in its own one-line form
  const quiet = (cmd: Command) => {
    cmd.exitOverride().configureOutput({ writeErr: () => {}, outputError: () => {} });
    for (const sub of cmd.commands) quiet(sub);
  };
  quiet(program);
  return program;
}

/** Run `hrdet` with `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug') || !!process.env.HRDET_DEBUG;
  try {
    const program = buildProgram();
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT_OK;
    }
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (e) {
    return reportError(e, debug);
  }
}

/** Entry point of bin/hrdet.js. */
export function run(): void {
  // `hrdet list | head` closes stdout early: that ends the command, it is no error
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_OK);
    throw e;
  });
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
