import { Option, type Command } from 'commander';
import { test } from '../../apis/test';
import { UserError } from '../../core/errors';
import { globalOptions, useBackend } from '../global-options';

interface TestCliOptions {
  checkpoint?: string;
  workDir?: string;
  split: 'test' | 'val';
  out?: string;
  showDir?: string;
}

export function register(program: Command): void {
  program
    .command('test')
    .description("evaluate a checkpoint on the config's test (or val) set with its evaluator (mmdetection's tools/test.py)")
    .argument('<config>', 'config file')
    .argument('[checkpoint]', 'checkpoint file (.pth); or give it as --checkpoint')
    .option('--checkpoint <file>', 'checkpoint file (.pth)')
    .option('--work-dir <dir>', "where the log and the metrics JSON go (default: the config's work_dir, else work_dirs/<config name>)")
    .option('--out <file>', 'write the predictions as a COCO results file (bbox; segm records with RLE masks for mask models; keypoints for pose)')
    .option('--show-dir <dir>', 'draw each test image with its predictions into this folder (PNG)')
    .addOption(new Option('--split <split>', 'which dataloader and evaluator').choices(['test', 'val']).default('test'))
    .addHelpText(
      'after',
      `
Prints the metrics as JSON on stdout and writes them to <work_dir>/<timestamp>/<timestamp>.json.
--out results.json is what \`hrdet eval-coco --results\` reads (and pycocotools' loadRes).

Examples:
  $ hrdet test configs/synthetic/hrnet-w18-small_synthetic-cls.json work_dirs/hrnet-w18-small_synthetic-cls/iter_400.pth --split val
  $ hrdet test configs/synthetic/fcn_hrnet-w18-small_synthetic-seg.json --checkpoint work_dirs/fcn_hrnet-w18-small_synthetic-seg/iter_160.pth --split val
  $ hrdet test configs/synthetic/faster-rcnn_r18_fpn_synthetic.json --checkpoint work_dirs/faster-rcnn_r18_fpn_synthetic/epoch_12.pth --out results.json --show-dir work_dirs/show`,
    )
    .action(async (config: string, positional: string | undefined, opts: TestCliOptions, cmd: Command) => {
      const g = globalOptions(cmd);
      if (positional && opts.checkpoint && positional !== opts.checkpoint) throw new UserError(`two checkpoints given: '${positional}' and --checkpoint '${opts.checkpoint}'`);
      const checkpoint = positional ?? opts.checkpoint;
      if (!checkpoint) throw new UserError('hrdet test needs a checkpoint: hrdet test <config> <checkpoint> (or --checkpoint <file>)');
      await useBackend(g);
      const r = await test(config, checkpoint, { workDir: opts.workDir, split: opts.split, out: opts.out, showDir: opts.showDir, cfgOptions: g.cfgOptions, plugins: g.plugin });
      process.stdout.write(`${JSON.stringify(r.metrics, null, 2)}\n`);
    });
}
