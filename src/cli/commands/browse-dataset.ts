import { InvalidArgumentError, Option, type Command } from 'commander';
import { browseDataset } from '../../apis/browse-dataset';
import { globalOptions } from '../global-options';

interface BrowseCliOptions {
  outDir: string;
  phase: 'train' | 'val' | 'test';
  num?: number;
}

export function register(program: Command): void {
  program
    .command('browse-dataset')
    .description("draw what the pipeline hands the model (boxes, masks, keypoints, label maps) into PNGs (mmdetection's browse_dataset)")
    .argument('<config>', 'config file')
    .requiredOption('--out-dir <dir>', 'folder for the PNGs (one per item, named after its image)')
    .addOption(new Option('--phase <phase>', 'which dataloader\'s dataset').choices(['train', 'val', 'test']).default('train'))
    .option('--num <N>', 'how many items, from the first (default: all)', parseCount)
    .addHelpText(
      'after',
      `
Random transforms draw as the loader's first epoch does (the config's randomness.seed, else 0).

Examples:
  $ hrdet browse-dataset configs/synthetic/faster-rcnn_r18_fpn_synthetic.json --out-dir work_dirs/browse --num 8
  $ hrdet browse-dataset configs/synthetic/td-hm_hrnet-w18-small_synthetic-256x192.json --out-dir work_dirs/browse-pose --phase val`,
    )
    .action(async (config: string, opts: BrowseCliOptions, cmd: Command) => {
      const g = globalOptions(cmd);
      const r = await browseDataset(config, { outDir: opts.outDir, phase: opts.phase, num: opts.num, cfgOptions: g.cfgOptions, plugins: g.plugin });
      process.stdout.write(`wrote ${r.files.length} of ${r.total} items to ${opts.outDir}\n`);
    });
}

function parseCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}
