import { Option, type Command } from 'commander';
import { test } from '../../apis/test';
import { globalOptions, useBackend } from '../global-options';

interface TestCliOptions {
  workDir?: string;
  split: 'test' | 'val';
}

export function register(program: Command): void {
  program
    .command('test')
    .description("evaluate a checkpoint on the config's test (or val) set with its evaluator (mmdetection's tools/test.py)")
    .argument('<config>', 'config file')
    .argument('<checkpoint>', 'checkpoint file (.pth or .safetensors)')
    .option('--work-dir <dir>', "where the log and the metrics JSON go (default: the config's work_dir, else work_dirs/<config name>)")
    .addOption(new Option('--split <split>', 'which dataloader and evaluator').choices(['test', 'val']).default('test'))
    .addHelpText(
      'after',
      `
Prints the metrics as JSON on stdout and writes them to <work_dir>/<timestamp>/<timestamp>.json.

Examples:
  $ hrdet test configs/synthetic/hrnet-w18-small_synthetic-cls.json work_dirs/hrnet-w18-small_synthetic-cls/epoch_10.pth --split val`,
    )
    .action(async (config: string, checkpoint: string, opts: TestCliOptions, cmd: Command) => {
      const g = globalOptions(cmd);
      await useBackend(g);
      const r = await test(config, checkpoint, { workDir: opts.workDir, split: opts.split, cfgOptions: g.cfgOptions, plugins: g.plugin });
      process.stdout.write(`${JSON.stringify(r.metrics, null, 2)}\n`);
    });
}
