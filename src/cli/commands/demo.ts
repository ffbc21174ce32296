import * as path from 'node:path';
import type { Command } from 'commander';
import type { DemoEvent, DemoModelSummary, DemoOutcome } from '../../apis/demo/run-demo';
import { globalOptions, useBackend } from '../global-options';
import { formatTable } from '../table';
import { printProgress } from './benchmark';

interface DemoCliOptions {
  quick?: boolean;
  workDir: string;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('the whole story on this machine, no download: synthetic data, Faster R-CNN on HRNetV2p and on ResNet-18-FPN trained alike, COCO box AP, ONNX export, tfjs and onnxruntime benchmark, report')
    .option('--quick', 'every step on a handful of tiny images with a few iterations (under 3 minutes; the numbers mean nothing)')
    .option('--work-dir <dir>', 'where everything goes (data/, configs/, work/, onnx/, report/, demo-state.json)', 'work_dirs/demo')
    .addHelpText(
      'after',
      `
Steps: make the synthetic shapes set; train Faster R-CNN HRNetV2p-W18-small and R-18-FPN with the
same budget (configs/synthetic/, schedule shortened); evaluate both (hrdet test, COCO box AP);
export both to ONNX (hrdet export; detectors that do not export whole yet: their backbone + neck);
benchmark both on tfjs and onnxruntime (hrdet benchmark) and write report.md / report.html.
A second run reuses every step whose outputs are still there (demo-state.json records them);
delete a step's outputs to redo it. docs/demo.md has the timings of a run.

Examples:
  $ npm run demo
  $ hrdet demo --quick --work-dir /tmp/demo`,
    )
    .action(async (opts: DemoCliOptions, cmd: Command) => {
      const g = globalOptions(cmd);
      await useBackend(g);
      const { runDemo } = await import('../../apis/demo/run-demo');
      const r = await runDemo({ workDir: opts.workDir, quick: opts.quick, onProgress: printDemoProgress });
      process.stdout.write(`${demoSummary(r)}\n`);
    });
}

function printDemoProgress(e: DemoEvent): void {
  const out = (s: string) => process.stderr.write(`${s}\n`);
  if (e.kind === 'start') out(`\n[${e.index}/${e.total}] ${e.title} …`);
  else if (e.kind === 'done') out(`[${e.index}/${e.total}] done in ${e.seconds.toFixed(1)} s (${e.cpuSeconds.toFixed(1)} s of CPU; load average ${e.load[0]} → ${e.load[1]})`);
  else if (e.kind === 'reused') out(`[${e.index}/${e.total}] ${e.title}: done before (${e.seconds.toFixed(1)} s then), reused`);
  else if (e.kind === 'note') out(`  ${e.text}`);
  else printProgress(e.event);
}

const num = (v: number | null, digits: number) => (v === null || !Number.isFinite(v) ? '-' : v.toFixed(digits));

/** The terminal summary: one line per model, the ratios, and where the report is. */
export function demoSummary(r: DemoOutcome): string {
  const rows = r.models.map((m) => [
    m.name,
    num(m.ap, 1),
    num(m.ap50, 1),
    num(m.params / 1e6, 2),
    num(m.gmacs, 2),
    num(m.tfjs_ms, 1),
    num(m.onnx_ms, 1),
    m.onnx_engine === 'onnx' ? 'whole model' : m.onnx_engine ? 'backbone+neck' : '-',
  ]);
  const table = formatTable(['model', 'box AP', 'AP50', 'params (M)', 'GMACs', 'tfjs ms', 'onnx ms', 'onnx runs'], rows, [false, true, true, true, true, true, true, false]);
  const total = r.steps.reduce((s, x) => s + (x.reused ? 0 : x.seconds), 0);
  const reused = r.steps.filter((s) => s.reused).length;
  const rel = (f: string) => {
    const r = path.relative(process.cwd(), f);
    return r && !r.startsWith('..') ? r : f;
  };
  return [
    '',
    `${r.budget.name === 'quick' ? 'hrdet demo --quick' : 'hrdet demo'}: ${r.budget.iterations} training iterations of ${r.budget.batchSize} images at ${r.budget.imageSize}x${r.budget.imageSize} per model`,
    table,
    ...ratios(r.models),
    '',
    `${total.toFixed(0)} s of work this run${reused ? `, ${reused} step(s) reused` : ''}; load average ${r.load.start.join(' ')} → ${r.load.end.join(' ')}`,
    `report: ${rel(r.report.html)} (also ${rel(r.report.md)}, ${rel(r.report.results)})`,
  ].join('\n');
}

/** HRNetV2p's latency relative to ResNet-FPN's on each engine. */
function ratios(models: DemoModelSummary[]): string[] {
  const [hr, res] = models;
  if (!hr || !res) return [];
  const ratio = (a: number | null, b: number | null) => (a && b ? `${(a / b).toFixed(2)}x` : '-');
  return [`latency ${hr.name.replace('Faster R-CNN ', '')} / ${res.name.replace('Faster R-CNN ', '')}: tfjs ${ratio(hr.tfjs_ms, res.tfjs_ms)}, onnxruntime ${ratio(hr.onnx_ms, res.onnx_ms)}${hr.onnx_engine !== 'onnx' ? ' (backbone+neck)' : ''}`];
}
