import { mkdirSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { FileError, UserError } from '../core/errors';
import { writeFileAtomic } from '../io/atomic-write';
import { curveChartSpec, type ChartCurve } from '../training/visualization/curve-chart';
import { renderVegaLiteSvg, svgToPng } from '../training/visualization/render-chart';
import { curvePoints, isEpochBased, logKeys, readScalarLog, resolveKey, type ScalarLog } from '../training/visualization/scalar-log';

export interface PlotLogOptions {
  /** Scalar names (`loss`, `lr`, `coco/bbox_mAP`, or mmdetection's shorthand `bbox_mAP`). */
  keys: string[];
  /** The image to write: `.png`, or `.svg` for the vector chart itself. */
  out: string;
  title?: string;
  /** One name per file and key (file-major, as mmdetection's plot_curve); default `<file>_<key>`. */
  legend?: string[];
  /** Padding on both ends of the x axis, as a fraction of the data range (default 0.05, matplotlib's). */
  xmargin?: number;
  width?: number;
  height?: number;
}

export interface PlotLogResult {
  out: string;
  format: 'png' | 'svg';
  width: number;
  height: number;
  curves: { label: string; file: string; key: string; points: number }[];
}

const FORMATS: Record<string, 'png' | 'svg'> = { '.png': 'png', '.svg': 'svg' };

function checkOptions(files: readonly string[], o: PlotLogOptions): 'png' | 'svg' {
  if (files.length === 0) throw new UserError('plot-log: no scalar log given (expected one or more vis_data/scalars.json files)');
  if (o.keys.length === 0) throw new UserError('--keys: no key given (e.g. --keys loss,lr)');
  const format = FORMATS[extname(o.out).toLowerCase()];
  if (!format) throw new UserError(`--out: '${o.out}' should end with .png or .svg`);
  if (o.legend && o.legend.length !== files.length * o.keys.length) {
    throw new UserError(`--legend: ${o.legend.length} name(s) for ${files.length} file(s) x ${o.keys.length} key(s); expected ${files.length * o.keys.length}`);
  }
  if (o.legend && new Set(o.legend).size !== o.legend.length) throw new UserError('--legend: the names must be distinct (one per curve)');
  if (o.xmargin !== undefined && !(o.xmargin >= 0 && Number.isFinite(o.xmargin))) throw new UserError(`--xmargin: expected a fraction >= 0, got ${o.xmargin}`);
  return format;
}

/** The x axis: iterations, unless every curve is an evaluation metric of an epoch-based run. */
function xTitle(logs: readonly ScalarLog[], keys: readonly string[][]): 'iter' | 'epoch' {
  const allValidation = keys.every((ks) => ks.every((k) => k.includes('/')));
  return allValidation && logs.every(isEpochBased) ? 'epoch' : 'iter';
}

/**
 * mmdetection's `analyze_logs.py plot_curve` on mmengine scalar logs: one curve per file and key,
 * losses against the iteration, evaluation metrics with a marker per evaluation (placed at the
 * iteration their epoch ended when drawn beside losses), written as PNG or SVG.
 */
export async function plotLog(files: readonly string[], o: PlotLogOptions): Promise<PlotLogResult> {
  const format = checkOptions(files, o);
  const logs = files.map(readScalarLog);
  const resolved = logs.map((log) => o.keys.map((k) => resolveKey(log, k)));
  const x = xTitle(logs, resolved);
  const curves: (ChartCurve & { file: string; key: string })[] = [];
  logs.forEach((log, i) =>
    resolved[i].forEach((key, j) => {
      // mmdetection's default legend is <file>_<key>; with one file the key alone tells the curves apart
      const label = o.legend?.[i * o.keys.length + j] ?? (files.length === 1 ? o.keys[j] : `${files[i]}_${o.keys[j]}`);
      const points = curvePoints(log, key, x === 'iter');
      if (points.length === 0) throw new FileError(log.file, `'${key}' is NaN on every line: nothing to draw`);
      curves.push({ label, points, markers: key.includes('/'), file: files[i], key });
    }),
  );
  const [width, height] = [o.width ?? 640, o.height ?? 480];
  const spec = curveChartSpec(curves, { title: o.title, xTitle: x, yTitle: o.keys.length === 1 ? o.keys[0] : undefined, xmargin: o.xmargin ?? 0.05, width, height });
  const svg = await renderVegaLiteSvg(spec);
  const bytes = format === 'svg' ? Buffer.from(svg) : await svgToPng(svg);
  try {
    mkdirSync(dirname(o.out), { recursive: true });
  } catch (e) {
    throw new FileError(dirname(o.out), `cannot create the output folder: ${(e as Error).message}`);
  }
  await writeFileAtomic(o.out, (w) => w.write(bytes));
  return { out: o.out, format, width, height, curves: curves.map((c) => ({ label: c.label, file: c.file, key: c.key, points: c.points.length })) };
}

/**
 * The curve a training run leaves at its end (`<work_dir>/<timestamp>/vis_data/curve.png`): the
 * given keys of one scalar log, legend by key. Keys the log does not have are left out (a run
 * without validation has no metrics); resolves to undefined when none of them is there.
 */
export async function plotScalarCurves(scalarsPath: string, keys: readonly string[], outPath: string): Promise<PlotLogResult | undefined> {
  const present = new Set(logKeys(readScalarLog(scalarsPath)));
  const kept = keys.filter((k) => present.has(k) || [...present].some((p) => p.endsWith(`/${k}`)));
  if (kept.length === 0) return undefined;
  return plotLog([scalarsPath], { keys: kept, out: outPath, legend: kept });
}
