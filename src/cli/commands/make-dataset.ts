import { InvalidArgumentError, Option, type Command } from 'commander';
import { makeSyntheticDataset, SYNTHETIC_TASKS, type SyntheticTaskName } from '../../apis/make-dataset';

interface SyntheticCliOptions {
  task: SyntheticTaskName;
  out?: string;
  train?: number;
  val?: number;
  seed: number;
  size?: [number, number];
}

export function register(program: Command): void {
  const make = program.command('make-dataset').description('write datasets to disk (synthetic sets that need no download)');
  make
    .command('synthetic')
    .description('write a synthetic dataset: shapes (det, seg, cls) or stick figures with COCO keypoints (pose)')
    .addOption(new Option('--task <task>', 'which kind of set').choices([...SYNTHETIC_TASKS]).makeOptionMandatory())
    .option('--out <dir>', 'output folder (default: data/synthetic-<task>)')
    .option('--train <N>', 'training images (default: det/pose/seg 1000, cls 2400)', parseCount)
    .option('--val <M>', 'validation images (default: det/pose/seg 200, cls 600)', parseCount)
    .option('--seed <S>', 'seed: the same seed and options give byte-identical files', parseSeed, 0)
    .option('--size <HxW>', 'image size (default: det/pose/seg 256x256, cls 64x64)', parseSize)
    .addHelpText(
      'after',
      `
Layouts (see docs/data.md):
  det   train/, val/, annotations/instances_{train,val}.json            (COCO, mmdetection CocoDataset)
  pose  train/, val/, annotations/person_keypoints_{train,val}.json     (COCO keypoints, mmpose CocoDataset)
  seg   img_dir/{train,val}/*.jpg, ann_dir/{train,val}/*.png, classes.json  (mmseg BaseSegDataset)
  cls   train/<class>/*.jpg, val/<class>/*.jpg, meta/{train,val,classes}.txt (mmpretrain CustomDataset)
A folder already holding the same complete set is left as it is; a different or unfinished
set hrdet wrote there is replaced. synthetic.json in the folder records the options.

Examples:
  $ hrdet make-dataset synthetic --task det
  $ hrdet make-dataset synthetic --task pose --train 200 --val 50 --size 192x192 --out data/pose-small`,
    )
    .action(async (opts: SyntheticCliOptions) => {
      const r = await makeSyntheticDataset({ task: opts.task, out: opts.out, train: opts.train, val: opts.val, seed: opts.seed, size: opts.size });
      const what = `${opts.task} set, ${r.counts.train} train + ${r.counts.val} val images of ${r.size.join('x')}, seed ${opts.seed}`;
      process.stdout.write(r.upToDate ? `${r.out}: already holds this ${what}; nothing written\n` : `${r.out}: wrote ${what} (${r.annotationFiles.join(', ')})\n`);
    });
}

function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('Expected a whole number of images.');
  return Number(value);
}

function parseSeed(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 0xffffffff) throw new InvalidArgumentError('Expected an integer from 0 to 4294967295.');
  return Number(value);
}

function parseSize(value: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('Expected HxW, e.g. 256x256.');
  return [Number(m[1]), Number(m[2])];
}
