/**
 * hrdet's ONNX export on onnxruntime CPU against onnxruntime's own dense rate.
 *
 * Models: the exported HRNetV2p-W32 backbone + HRFPN at 1x3x800x1216 and pose HRNet-W32 at
 * 1x3x256x192 (random weights, seed 0). For each: export time and graph, onnxruntime CPU time
 * (2 threads, median of several runs after warm-up), achieved GFLOP/s = 2 x MACs / time, the
 * ops onnxruntime runs after optimising the graph, peak memory; the tfjs eager forward of the
 * same model (time, peak memory) and the largest difference between the two engines.
 * Reference in the same run: onnxruntime's 2048^3 MatMul GFLOP/s with the same threads (both
 * operands fed at run time), timed between the model's runs in the same process so that both
 * see the same machine load; standalone MatMul rates (and with a constant, prepacked B) are
 * recorded before and after the models.
 * Target: model GFLOP/s >= 100% of the MatMul rate.
 *
 * With --pytorch <dir> (files from test/fixtures/onnx/make_pytorch_exports.py) the PyTorch
 * exports of the same networks are timed the same way, and any op onnxruntime runs for hrdet's
 * graph but not for PyTorch's is listed (target: none).
 *
 * Every measurement runs in a child process of its own, so peak memory (max RSS) is per
 * measurement and thread pools do not overlap.
 *
 *   node dist/bench/onnx-bench.js [--pytorch /tmp/pytorch-onnx] [--threads 2] [--runs 5]
 *        [--no-tfjs] [--out bench/results/onnx-bench.json]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeModel } from '../src/apis/analyze';
import { buildModel } from '../src/apis/build-model';
import { exportOnnx } from '../src/apis/export';
import { forwardTfjs } from '../src/apis/forward';
import { withEngine } from '../src/core/engine-context';
import { hostTensor, numel, type HostTensor } from '../src/core/host-tensor';
import * as F from '../src/core/ops';
import { Random, seed } from '../src/core/random';
import { OnnxTracer } from '../src/engines/onnx/onnx-tracer';
import { initBackend } from '../src/engines/tfjs/backend';
import { encodeOnnx, readOnnxSummary } from '../src/export/onnx-writer';
import { readSafetensors, writeSafetensors } from '../src/io/safetensors';
import { describeProvider, OnnxModel } from '../src/runtime/onnx-model';

const ROOT = path.resolve(__dirname, '../..');

interface BenchModel {
  key: string;
  name: string;
  config: string;
  shape: [number, number, number];
  runs: number;
  /** File name of the PyTorch export (make_pytorch_exports.py). */
  pytorch: string;
}

const MODELS: BenchModel[] = [
  {
    key: 'hrnetv2p_w32_hrfpn',
    name: 'HRNetV2p-W32 backbone + HRFPN, 1x3x800x1216',
    config: 'configs/hrnet/hrnetv2p-w32-hrfpn.json',
    shape: [3, 800, 1216],
    runs: 5,
    pytorch: 'hrnetv2p_w32_hrfpn_800x1216.onnx',
  },
  {
    key: 'pose_hrnet_w32',
    name: 'pose HRNet-W32, 1x3x256x192',
    config: 'configs/hrnet/td-hm_hrnet-w32_8xb64-210e_coco-256x192.json',
    shape: [3, 256, 192],
    runs: 20,
    pytorch: 'pose_hrnet_w32_256x192.onnx',
  },
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

function randomInput(shape: readonly number[]): HostTensor {
  return hostTensor('float32', shape, new Random(1).normalArray(numel(shape)));
}

// --- child measurements -----------------------------------------------------------------------

/** Time one ONNX file on onnxruntime CPU; optionally compare with tfjs outputs saved by the tfjs child. */
async function childOrt(): Promise<unknown> {
  const file = arg('--file')!;
  const shape = JSON.parse(arg('--shape')!) as number[];
  const runs = Number(arg('--runs'));
  const threads = Number(arg('--threads'));
  const optimized = arg('--optimized')!;
  const t0 = performance.now();
  const model = await OnnxModel.load(file, { provider: 'cpu', intraOpThreads: threads, optimizedModelPath: optimized });
  const loadMs = performance.now() - t0;
  const input = randomInput(shape);
  const warm = performance.now();
  let out = await model.run({ input });
  const firstMs = performance.now() - warm;
  await model.run({ input });
  // MatMul runs interleaved with the model's, so the ratio holds when the machine's load changes
  const mm = await matmulSession(threads, false);
  const times: number[] = [];
  const mmTimes: number[] = [];
  // a pause after each switch: a session's pool threads spin for a while after a run and would
  // take the cores from the other session's next run
  const settle = () => new Promise((r) => setTimeout(r, 100));
  for (let i = 0; i < runs; i++) {
    await settle();
    const t = performance.now();
    out = await model.run({ input });
    times.push(performance.now() - t);
    await settle();
    mmTimes.push(await mm.run(), await mm.run());
  }
  await mm.dispose();
  const result: Record<string, unknown> = {
    interleaved_matmul: { runs_ms: mmTimes, median_ms: median(mmTimes), gflops: matmulGflops(median(mmTimes)) },
    provider: describeProvider(model.provider),
    load_ms: loadMs,
    first_run_ms: firstMs,
    runs_ms: times,
    median_ms: median(times),
    min_ms: Math.min(...times),
    peak_rss_mb: peakRssMb(),
    optimized_ops: Object.fromEntries(readOnnxSummary(fs.readFileSync(optimized)).ops),
  };
  const ref = arg('--compare');
  if (ref && fs.existsSync(ref)) {
    const tfjs = (await readSafetensors(ref)).tensors;
    result.max_error_vs_tfjs = Object.fromEntries(
      [...tfjs].map(([name, r]) => {
        const got = out.get(name)!.data as Float32Array;
        const want = r.data as Float32Array;
        let err = 0;
        let maxRef = 0;
        for (let i = 0; i < want.length; i++) {
          err = Math.max(err, Math.abs(got[i] - want[i]));
          maxRef = Math.max(maxRef, Math.abs(want[i]));
        }
        return [name, { max_error: err, max_abs_tfjs: maxRef, fixture_rule_bound: 1e-4 * Math.max(1, maxRef) }];
      }),
    );
  }
  await model.dispose();
  return result;
}

/** Eager tfjs forward of a config's model (same seed as the export), outputs saved for the comparison. */
async function childTfjs(): Promise<unknown> {
  const config = arg('--config')!;
  const shape = JSON.parse(arg('--shape')!) as number[];
  const save = arg('--save')!;
  const backend = await initBackend();
  seed(0);
  const { model } = await buildModel(path.join(ROOT, config));
  const input = randomInput(shape);
  const t0 = performance.now();
  const first = forwardTfjs(model, input);
  const firstMs = performance.now() - t0;
  const t1 = performance.now();
  forwardTfjs(model, input);
  const secondMs = performance.now() - t1;
  await writeSafetensors(save, first);
  return { backend: backend.name, threads: backend.threads ?? 1, first_run_ms: firstMs, ms: secondMs, peak_rss_mb: peakRssMb() };
}

const MATMUL_N = 2048;

/** A 2048^3 MatMul session: both operands fed at run time, or B a constant (prepacked, as conv weights are). */
async function matmulSession(threads: number, constantB: boolean): Promise<{ run: () => Promise<number>; dispose: () => Promise<void> }> {
  const n = MATMUL_N;
  const tr = new OnnxTracer();
  const a = tr.input('a', [n, n]);
  const b = constantB ? null : tr.input('b', [n, n]);
  const bValue = hostTensor('float32', [n, n], new Random(2).normalArray(n * n));
  withEngine(tr, () => tr.output('output', F.matmul(a, b ?? F.constant(bValue))));
  const model = await OnnxModel.load(encodeOnnx(tr.graph, { opset: 17 }), { provider: 'cpu', intraOpThreads: threads });
  const feeds: Record<string, HostTensor> = constantB ? { a: randomInput([n, n]) } : { a: randomInput([n, n]), b: bValue };
  await model.run(feeds);
  return {
    run: async () => {
      const t = performance.now();
      await model.run(feeds);
      return performance.now() - t;
    },
    dispose: () => model.dispose(),
  };
}

const matmulGflops = (ms: number) => (2 * MATMUL_N ** 3) / ms / 1e6;

/** onnxruntime's dense rate on its own: plain MatMul, and with a constant B. */
async function childMatmul(): Promise<unknown> {
  const threads = Number(arg('--threads'));
  const time = async (constantB: boolean) => {
    const mm = await matmulSession(threads, constantB);
    const times: number[] = [];
    for (let i = 0; i < 10; i++) times.push(await mm.run());
    await mm.dispose();
    return { runs_ms: times, median_ms: median(times), gflops: matmulGflops(median(times)) };
  };
  const plain = await time(false);
  return { n: MATMUL_N, ...plain, constant_b: await time(true) };
}

// --- parent -------------------------------------------------------------------------------------

function child(kind: string, args: string[], timeoutS = 1800): Record<string, unknown> {
  const r = spawnSync(process.execPath, [__filename, '--child', kind, ...args], { encoding: 'utf8', maxBuffer: 1 << 26, timeout: timeoutS * 1000 });
  if (r.error) throw new Error(`${kind} measurement failed: ${r.error.message}${r.signal ? ` (${r.signal} after ${timeoutS} s)` : ''}`);
  if (r.status !== 0) throw new Error(`${kind} measurement failed:\n${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(last) as Record<string, unknown>;
}

/** One result from several rounds of the same measurement: all timed runs pooled. */
function mergeRounds(rounds: Record<string, unknown>[], flops: number): Record<string, unknown> {
  const runs = rounds.flatMap((r) => r.runs_ms as number[]);
  const mmRuns = rounds.flatMap((r) => (r.interleaved_matmul as { runs_ms: number[] }).runs_ms);
  const med = median(runs);
  const gflops = flops / med / 1e6;
  const mm = matmulGflops(median(mmRuns));
  return {
    ...rounds[0],
    rounds: rounds.length,
    runs_ms: runs,
    median_ms: med,
    min_ms: Math.min(...runs),
    peak_rss_mb: Math.max(...rounds.map((r) => r.peak_rss_mb as number)),
    gflops,
    interleaved_matmul: { runs_ms: mmRuns, median_ms: median(mmRuns), gflops: mm },
    pct_of_matmul: (100 * gflops) / mm,
  };
}

/**
 * The tfjs eager forward at the model's shape; when that does not fit (the eager forward keeps
 * every intermediate until it returns, and the wasm heap stops at 4 GiB), at half the height
 * and width, reported as such.
 */
function tfjsMeasurement(m: BenchModel, save: string, log: (s: string) => void): Record<string, unknown> {
  const [c, h, w] = m.shape;
  try {
    return { input_shape: [1, c, h, w], ...child('tfjs', ['--config', m.config, '--shape', JSON.stringify([1, c, h, w]), '--save', save], 600) };
  } catch (e) {
    const reason = (e as Error).message.split('\n').find((l) => /Abort|memory|Error|failed/.test(l)) ?? 'failed';
    log(`  tfjs eager at ${h}x${w} failed (${reason.trim()}); measuring at ${h / 2}x${w / 2}`);
    const half = [1, c, h / 2, w / 2];
    const r = child('tfjs', ['--config', m.config, '--shape', JSON.stringify(half), '--save', `${save}.half`]);
    return { input_shape: half, full_size_error: reason.trim(), ...r };
  }
}

async function main(): Promise<void> {
  const threads = Number(arg('--threads') ?? 2);
  const runsOverride = arg('--runs');
  const withTfjs = !process.argv.includes('--no-tfjs');
  const pytorchDir = arg('--pytorch');
  const outFile = arg('--out') ?? path.join(ROOT, 'bench/results/onnx-bench.json');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hrdet-onnx-bench-'));
  const log = (s: string) => process.stderr.write(`${s}\n`);

  try {
    // on its own before and after the models, for the record; the percentages use the MatMul
    // runs interleaved with each model's (same process, same minute)
    log(`matmul 2048^3, ${threads} threads ...`);
    const matmulBefore = child('matmul', ['--threads', String(threads)]);
    log(`  ${(matmulBefore.gflops as number).toFixed(1)} GFLOP/s (constant B: ${(matmulBefore.constant_b as { gflops: number }).gflops.toFixed(1)})`);
    const matmul = { ...matmulBefore };
    const results: Record<string, unknown>[] = [];
    for (const m of MODELS) {
      log(`${m.name}`);
      seed(0);
      const { model } = await buildModel(path.join(ROOT, m.config));
      const macs = analyzeModel(model, { inputShape: m.shape }).macs;
      const file = path.join(tmp, `${m.key}.onnx`);
      const t0 = performance.now();
      const exported = await exportOnnx(model, { shape: m.shape, verify: false, out: file });
      const exportMs = performance.now() - t0;
      const fullShape = JSON.stringify([1, ...m.shape]);
      const runs = String(runsOverride ?? m.runs);
      const flops = 2 * macs;
      const tfjsOut = path.join(tmp, `${m.key}.tfjs.safetensors`);
      let tfjs: Record<string, unknown> | null = null;
      if (withTfjs) {
        log('  tfjs eager ...');
        tfjs = tfjsMeasurement(m, tfjsOut, log);
        const [, , th, tw] = tfjs.input_shape as number[];
        const tfjsFlops = th === m.shape[1] && tw === m.shape[2] ? flops : 2 * analyzeModel(model, { inputShape: [m.shape[0], th, tw] }).macs;
        tfjs.gflops = tfjsFlops / (tfjs.ms as number) / 1e6;
        log(`  tfjs ${tfjs.backend} at ${(tfjs.input_shape as number[]).join('x')}: ${(tfjs.ms as number).toFixed(0)} ms`);
      }
      // hrdet's and PyTorch's exports alternate in rounds, so a change in machine load hits both
      const pyFile = pytorchDir ? path.join(pytorchDir, m.pytorch) : null;
      const havePy = pyFile !== null && fs.existsSync(pyFile);
      const ortArgs = (f: string, opt: string) => ['--file', f, '--shape', fullShape, '--runs', runs, '--threads', String(threads), '--optimized', path.join(tmp, opt)];
      const oursRounds: Record<string, unknown>[] = [];
      const pyRounds: Record<string, unknown>[] = [];
      for (let round = 0; round < (havePy ? 2 : 1); round++) {
        log(`  onnxruntime (hrdet export), round ${round + 1} ...`);
        oursRounds.push(child('ort', [...ortArgs(file, `${m.key}.opt.onnx`), ...(round === 0 ? ['--compare', tfjsOut] : [])]));
        if (havePy) {
          log(`  onnxruntime (PyTorch export), round ${round + 1} ...`);
          pyRounds.push(child('ort', ortArgs(pyFile, `${m.key}.pytorch.opt.onnx`)));
        }
      }
      const ort = mergeRounds(oursRounds, flops);
      log(`  onnxruntime: ${(ort.median_ms as number).toFixed(1)} ms, ${(ort.gflops as number).toFixed(1)} GFLOP/s = ${(ort.pct_of_matmul as number).toFixed(0)}% of the interleaved MatMul (${((ort.interleaved_matmul as { gflops: number }).gflops).toFixed(0)} GFLOP/s)`);
      const entry: Record<string, unknown> = {
        key: m.key,
        name: m.name,
        config: m.config,
        input_shape: [1, ...m.shape],
        macs,
        gflop: flops / 1e9,
        export: {
          ms: exportMs,
          bytes: exported.bytes.length,
          nodes: [...exported.ops.values()].reduce((a, b) => a + b, 0),
          ops: Object.fromEntries(exported.ops),
          passes: exported.passes,
        },
        onnxruntime: ort,
        tfjs,
      };
      if (havePy) {
        const py = mergeRounds(pyRounds, flops);
        py.graph_ops = Object.fromEntries(readOnnxSummary(fs.readFileSync(pyFile)).ops);
        const ours = Object.keys(ort.optimized_ops as object);
        const theirs = new Set(Object.keys(py.optimized_ops as object));
        entry.pytorch_export = py;
        entry.ops_not_in_pytorch_export = ours.filter((op) => !theirs.has(op));
        entry.speed_vs_pytorch_export = (py.median_ms as number) / (ort.median_ms as number);
        log(`  PyTorch export: ${(py.median_ms as number).toFixed(1)} ms = ${(py.pct_of_matmul as number).toFixed(0)}% of MatMul; extra ops in hrdet's optimised graph: ${JSON.stringify(entry.ops_not_in_pytorch_export)}`);
      }
      results.push(entry);
    }
    const matmulAfter = child('matmul', ['--threads', String(threads)]);
    log(`matmul again: ${(matmulAfter.gflops as number).toFixed(1)} GFLOP/s (constant B: ${(matmulAfter.constant_b as { gflops: number }).gflops.toFixed(1)})`);
    Object.assign(matmul, { before: matmulBefore, after: matmulAfter });
    const report = {
      bench: 'onnx-bench',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, loadavg_at_end: os.loadavg(), node: process.version, platform: `${process.platform}/${process.arch}` },
      onnxruntime: (require('onnxruntime-node') as { env: { versions: Record<string, string> } }).env.versions,
      threads,
      gflops_definition: '2 x MACs (conv2d, linear, matmul; hrdet analyze) / median time',
      target: 'model GFLOP/s >= 100% of the MatMul rate; no op in the onnxruntime-optimised graph that the PyTorch export lacks',
      matmul,
      models: results,
    };
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    fs.writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${outFile}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const kind = arg('--child');
const run = kind === 'ort' ? childOrt : kind === 'tfjs' ? childTfjs : kind === 'matmul' ? childMatmul : null;
if (run) {
  run()
    // exit explicitly: the threaded wasm backend's workers would keep the process alive
    .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`, () => process.exit(0)))
    .catch((e) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`);
      process.exit(1);
    });
} else {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
