import * as path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { BenchmarkEvent, EngineName } from '../../apis/benchmark/run-benchmark';
import { UserError } from '../../core/errors';
import { globalOptions } from '../global-options';
import { formatTable } from '../table';

interface BenchmarkCliOptions {
  preset?: string;
  checkpoint?: string[];
  dataset?: string;
  engines: EngineName[];
  provider: 'auto' | 'cpu' | 'cuda';
  shape?: number[];
  batch: number[];
  iters: number;
  warmup: number;
  rois?: number;
  threads?: number;
  seed: number;
  outDir: string;
}

export function register(program: Command): void {
  program
    .command('benchmark')
    .description('time models side by side on tfjs and onnxruntime (latency, throughput, memory, stage split) beside their params and MACs; writes results.json, report.md, report.html and chart PNGs')
    .argument('[config...]', 'config files to compare (or --preset)')
    .option('--preset <name>', "a named comparison: 'hrnet-vs-resnet' (Faster R-CNN HRNetV2p-W18/W32 against R-50/R-101-FPN)")
    .option('--checkpoint <cfg=file>', 'weights for one config (its path or file name without extension); repeatable; default random weights', collect)
    .option('--dataset <path>', "where to measure accuracy (with --checkpoint): a test config (its test_dataloader and test_evaluator) or a dataset folder read with each config's own test split; rows get hrdet test's COCO metrics")
    .option('--engines <list>', 'engines to time: tfjs (eager), onnx (onnxruntime-node on the exported graph)', parseEngines, ['tfjs', 'onnx'] as EngineName[])
    .option('--provider <name>', 'onnxruntime execution provider: auto, cpu or cuda', parseProvider, 'auto')
    .option('--shape <C,H,W>', "input shape of one image (default: each config's input_shape, else C,224,224)", parseShape)
    .option('--batch <list>', 'batch sizes, e.g. 1,2', parseList, [1])
    .option('--iters <N>', 'timed runs per row', parsePositive, 5)
    .option('--warmup <K>', 'untimed runs per row before the timed ones', parseCount, 1)
    .option('--rois <N>', "RoIs per image the RoI box head's MACs are counted for (default: test_cfg.rpn.max_per_img; 0 = leave the RoI heads out)", parseCount)
    .option('--threads <N>', 'onnxruntime intra-op threads (default: one per logical CPU)', parsePositive)
    .option('--seed <N>', 'seed of the random inputs (and nothing else)', parseCount, 0)
    .requiredOption('--out-dir <dir>', 'folder for results.json, report.md, report.html and the chart PNGs')
    .addHelpText(
      'after',
      `
Each config's model is built once (random weights unless --checkpoint) and run on every engine
and batch size; within a batch size and engine the models alternate run by run, so they see the
same load. tfjs rows run the predict path and split it into backbone / neck / heads /
post-processing; onnx rows run the graph 'hrdet export' writes (two-stage detectors, which do not
export whole yet, run their backbone + neck graph: engine 'onnx (backbone+neck)').
Params and MACs are 'hrdet analyze' counts (two-stage detectors: backbone, neck, RPN head and the
RoI box head at --rois RoIs). results.json is rewritten after every finished row: Ctrl-C stops
after the current run and keeps the finished rows (and writes the report for them).

Examples:
  $ hrdet benchmark --preset hrnet-vs-resnet --shape 3,512,832 --iters 5 --out-dir bench-out
  $ hrdet benchmark configs/fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.json --engines onnx --batch 1,2 --out-dir fcos-bench
  $ hrdet benchmark configs/synthetic/faster-rcnn_r18_fpn_synthetic.json --checkpoint faster-rcnn_r18_fpn_synthetic=work_dirs/r18/epoch_12.pth --dataset data/synthetic-det --out-dir r18-bench`,
    )
    .action(async (files: string[], opts: BenchmarkCliOptions, cmd: Command) => {
      const g = globalOptions(cmd);
      const { runBenchmark } = await import('../../apis/benchmark/run-benchmark');
      const { preset } = await import('../../apis/benchmark/presets');
      const { checkpointEvaluator } = await import('../../apis/benchmark/evaluate-checkpoint');
      const configs = [...(opts.preset ? preset(opts.preset).configs.map(packagePath) : []), ...files];
      const abort = new AbortController();
      const onSigint = () => {
        if (abort.signal.aborted) process.exit(130);
        process.stderr.write('\nstopping after the current run (finished rows are kept; Ctrl-C again to quit now)\n');
        abort.abort();
      };
      process.on('SIGINT', onSigint);
      try {
        const { results, files: written } = await runBenchmark({
          configs,
          command: `hrdet ${process.argv.slice(2).join(' ')}`,
          preset: opts.preset,
          checkpoints: parseCheckpoints(opts.checkpoint ?? []),
          dataset: opts.dataset,
          engines: opts.engines,
          provider: opts.provider,
          shape: opts.shape,
          batches: opts.batch,
          iters: opts.iters,
          warmup: opts.warmup,
          rois: opts.rois,
          threads: opts.threads,
          backend: g.backend,
          kernels: g.kernels,
          cfgOptions: g.cfgOptions,
          plugins: g.plugin,
          seed: opts.seed,
          outDir: opts.outDir,
          signal: abort.signal,
          onProgress: printProgress,
          evaluate: opts.dataset ? checkpointEvaluator({ workDir: path.join(opts.outDir, 'eval'), cfgOptions: g.cfgOptions, plugins: g.plugin }) : undefined,
        });
        process.stderr.write(`${results.machine.backend}; load average ${results.machine.load_average.start.join(' ')} → ${results.machine.load_average.end?.join(' ')}\n`);
        process.stdout.write(`${summary(results.rows)}\n\nwrote ${written.map((f) => path.relative(process.cwd(), f) || f).join(', ')}\n`);
        if (results.interrupted) throw new UserError(`interrupted: ${results.rows.length} finished row(s) kept in ${path.join(opts.outDir, 'results.json')} (report written for them)`);
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}

/** Preset configs are shipped with hrdet: found from the package root wherever the command runs. */
function packagePath(rel: string): string {
  const root = path.resolve(__dirname, '../../../..');
  const fromCwd = path.resolve(rel);
  return require('node:fs').existsSync(fromCwd) ? rel : path.join(root, rel);
}

export function printProgress(e: BenchmarkEvent): void {
  const out = (s: string) => process.stderr.write(`${s}\n`);
  if (e.kind === 'prepare') out(`… ${e.what}`);
  else if (e.kind === 'run') out(`  ${e.phase === 'warmup' ? 'warm-up' : 'run'} ${e.index}/${e.total}  ${e.label}: ${e.ms.toFixed(1)} ms`);
  else if (e.kind === 'row') out(`row ${e.done}/${e.total}: ${e.row.model} ${e.row.engine} b${e.row.batch}: median ${e.row.latency_ms.median.toFixed(1)} ms, ${e.row.throughput.toFixed(2)} img/s, peak ${e.row.peak_memory_mb} MiB`);
  else if (e.kind === 'skip') out(`skipped ${e.skipped.config} ${e.skipped.engine}: ${e.skipped.reason}`);
  else out(e.text);
}

function summary(rows: import('../../apis/benchmark/results').BenchmarkRow[]): string {
  const body = rows.map((r) => [
    r.model,
    r.engine,
    String(r.batch),
    Number.isFinite(r.params) ? (r.params / 1e6).toFixed(2) : '-',
    Number.isFinite(r.gmacs) ? r.gmacs.toFixed(1) : '-',
    r.latency_ms.median.toFixed(1),
    r.latency_ms.p90.toFixed(1),
    r.latency_ms.min.toFixed(1),
    r.throughput.toFixed(2),
    String(r.peak_memory_mb),
  ]);
  return formatTable(['model', 'engine', 'batch', 'params (M)', 'GMACs', 'median ms', 'p90 ms', 'min ms', 'img/s', 'peak MiB'], body, [false, false, true, true, true, true, true, true, true, true]);
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function parseCheckpoints(entries: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    const i = e.indexOf('=');
    if (i <= 0 || i === e.length - 1) throw new UserError(`--checkpoint ${e}: expected <config>=<file>, e.g. faster-rcnn_r50_fpn_1x_coco=r50.pth`);
    out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

function parseEngines(value: string): EngineName[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0 || list.some((e) => e !== 'tfjs' && e !== 'onnx')) throw new InvalidArgumentError('Expected a comma-separated list of tfjs, onnx.');
  return list as EngineName[];
}

function parseProvider(value: string): 'auto' | 'cpu' | 'cuda' {
  if (value !== 'auto' && value !== 'cpu' && value !== 'cuda') throw new InvalidArgumentError('Expected auto, cpu or cuda.');
  return value;
}

function parseShape(value: string): number[] {
  const parts = value.split(/[,x]/).map((s) => s.trim());
  if (parts.length !== 3 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) throw new InvalidArgumentError('Expected three positive integers C,H,W, e.g. 3,800,1216.');
  return parts.map(Number);
}

function parseList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) throw new InvalidArgumentError('Expected positive integers separated by commas, e.g. 1,2.');
  return parts.map(Number);
}

function parsePositive(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('Expected a positive integer.');
  return Number(value);
}

function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('Expected a whole number >= 0.');
  return Number(value);
}
