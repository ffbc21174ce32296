import { InvalidArgumentError, type Command } from 'commander';
import { evalSegFolders, type EvalSegResult } from '../../apis/eval-seg';

interface EvalSegCliOptions {
  gt: string;
  pred: string;
  numClasses: number;
  ignoreIndex: number;
  reduceZeroLabel?: boolean;
  json?: boolean;
}

function parseInteger(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer, got '${v}'`);
  return n;
}

const pct = (v: number) => (Number.isNaN(v) ? 'nan' : (v * 100).toFixed(2));

function table(r: EvalSegResult): string {
  const rows = r.per_class.map((c) => `${String(c.class).padStart(6)}  ${pct(c.IoU).padStart(6)}  ${pct(c.Acc).padStart(6)}`);
  return [`class     IoU     Acc`, ...rows, `aAcc ${pct(r.aAcc)}  mIoU ${pct(r.mIoU)}  mAcc ${pct(r.mAcc)}  (${r.images} images)`].join('\n');
}

export function register(program: Command): void {
  program
    .command('eval-seg')
    .description("mmseg's IoUMetric (aAcc, mIoU, mAcc, per class) over label-map PNGs paired by file name")
    .requiredOption('--gt <dir>', 'folder of ground-truth label maps (single-channel PNGs of class indices)')
    .requiredOption('--pred <dir>', 'folder of predicted label maps, same file names')
    .requiredOption('--num-classes <N>', 'number of classes (labels >= N are not counted)', parseInteger)
    .option('--ignore-index <i>', 'GT label left out of every count', parseInteger, 255)
    .option('--reduce-zero-label', "mmseg's reduce_zero_label on the GT: 0 is ignored, other labels drop by one")
    .option('--json', 'print one JSON object: aAcc, mIoU, mAcc and per_class IoU/Acc, as fractions (NaN as null)')
    .addHelpText('after', '\nExample:\n  $ hrdet eval-seg --gt data/ann/val --pred out/pred --num-classes 19 --json')
    .action(async (opts: EvalSegCliOptions) => {
      const r = await evalSegFolders(opts);
      process.stdout.write(`${opts.json ? JSON.stringify(r) : table(r)}\n`);
    });
}
