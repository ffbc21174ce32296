import { InvalidArgumentError, type Command } from 'commander';
import { plotLog } from '../../apis/plot-log';

interface PlotLogCliOptions {
  keys: string[];
  out: string;
  title?: string;
  legend?: string[];
  xmargin?: number;
}

function parseFraction(v: string): number {
  const n = Number(v);
  if (!(Number.isFinite(n) && n >= 0)) throw new InvalidArgumentError(`expected a fraction >= 0 such as 0.05, got '${v}'`);
  return n;
}

/** `--keys loss,lr` and `--keys loss lr` alike. */
const splitList = (values: string[]) => values.flatMap((v) => v.split(',')).filter((v) => v.length > 0);

export function register(program: Command): void {
  program
    .command('plot-log')
    .description("mmdetection's analyze_logs.py plot_curve: curves of scalars from mmengine's vis_data/scalars.json, as PNG or SVG")
    .argument('<scalars.json...>', "one or more scalar logs (JSON lines, written by LocalVisBackend); one curve per file and key")
    .requiredOption('--keys <keys...>', "scalars to plot, comma-separated or listed: loss, lr, coco/bbox_mAP (or mmdetection's shorthand bbox_mAP)")
    .requiredOption('--out <file>', 'image to write: .png, or .svg for the vector chart')
    .option('--title <text>', 'title of the figure')
    .option('--legend <names...>', 'one name per file and key, file-major (default: <file>_<key>)')
    .option('--xmargin <fraction>', 'padding at both ends of the x axis, a fraction of the data range', parseFraction, 0.05)
    .addHelpText(
      'after',
      `
Losses are drawn against the iteration (step); evaluation metrics (keys with a '/') with a
marker per evaluation, against the epoch when only metrics of epoch-based runs are plotted.

Examples:
  $ hrdet plot-log work_dirs/run/20240101_120000/vis_data/scalars.json --keys loss,lr --out loss.png
  $ hrdet plot-log a/vis_data/scalars.json b/vis_data/scalars.json --keys bbox_mAP --legend a b --out map.svg`,
    )
    .action(async (files: string[], opts: PlotLogCliOptions) => {
      const r = await plotLog(files, { ...opts, keys: splitList(opts.keys) });
      for (const c of r.curves) process.stdout.write(`${c.label}: ${c.points} points (${c.key} of ${c.file})\n`);
      process.stderr.write(`wrote ${r.out} (${r.format}, ${r.width}x${r.height})\n`);
    });
}
