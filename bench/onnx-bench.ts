/**
 * hrdet's ONNX export on onnxruntime CPU against onnxruntime's own dense rate.
 *
 * Models: the exported HRNetV2p-W32 backbone + HRFPN at 1x3x800x1216 and pose HRNet-W32 at
 * 1x3x256x192 (random weights, seed 0). For each: export time and graph, onnxruntime CPU time
 * (2 threads, median of several runs after warm-up), achieved GFLOP/s = 2 x MACs / time, the
 * ops onnxruntime runs after optimising the graph, peak memory; the tfjs eager forward of the
 * same model (time, peak memory) and the largest difference between the two engines.
 * Reference in the same run: onnxruntime's 2048^3 MatMul GFLOP/s with the same threads.
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
import { encodeOnnx, readOnnxSummary } from '../src/io/onnx-writer';
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
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    out = await model.run({ input });
    times.push(performance.now() - t);
  }
  const result: Record<string, unknown> = {
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
  return { backend: backend.name, first_run_ms: firstMs, ms: secondMs, peak_rss_mb: peakRssMb() };
}

/** onnxruntime's dense rate: a 2048^3 MatMul (B a constant, as weights are) with the same threads. */
async function childMatmul(): Promise<unknown> {
  const n = 2048;
  const threads = Number(arg('--threads'));
  const tr = new OnnxTracer();
  const a = tr.input('input', [n, n]);
  withEngine(tr, () => tr.output('output', F.matmul(a, F.constant(hostTensor('float32', [n, n], new Random(2).normalArray(n * n))))));
  const model = await OnnxModel.load(encodeOnnx(tr.graph, { opset: 17 }), { provider: 'cpu', intraOpThreads: threads });
  const x = hostTensor('float32', [n, n], new Random(3).normalArray(n * n));
  await model.run(x);
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await model.run(x);
    times.push(performance.now() - t);
  }
  await model.dispose();
  const ms = median(times);
  return { n, runs_ms: times, median_ms: ms, gflops: (2 * n ** 3) / ms / 1e6 };
}

// --- parent -------------------------------------------------------------------------------------

function child(kind: string, args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [__filename, '--child', kind, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${kind} measurement failed:\n${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(last) as Record<string, unknown>;
}

/**
 * The tfjs eager forward at the model's shape; when that does not fit (the eager forward keeps
 * every intermediate until it returns, and the wasm heap stops at 4 GiB), at half the height
 * and width, reported as such.
 */
function tfjsMeasurement(m: BenchModel, save: string, log: (s: string) => void): Record<string, unknown> {
  const [c, h, w] = m.shape;
  try {
    return { input_shape: [1, c, h, w], ...child('tfjs', ['--config', m.config, '--shape', JSON.stringify([1, c, h, w]), '--save', save]) };
  } catch (e) {
    const reason = (e as Error).message.split('\n').find((l) => /Abort|memory|Error/.test(l)) ?? 'failed';
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
    log(`matmul 2048^3, ${threads} threads ...`);
    const matmul = child('matmul', ['--threads', String(threads)]);
    log(`  ${(matmul.gflops as number).toFixed(1)} GFLOP/s`);
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
      log('  onnxruntime (hrdet export) ...');
      const ort = child('ort', ['--file', file, '--shape', fullShape, '--runs', runs, '--threads', String(threads), '--optimized', path.join(tmp, `${m.key}.opt.onnx`), '--compare', tfjsOut]);
      ort.gflops = flops / (ort.median_ms as number) / 1e6;
      ort.pct_of_matmul = (100 * (ort.gflops as number)) / (matmul.gflops as number);
      log(`  onnxruntime: ${(ort.median_ms as number).toFixed(1)} ms, ${(ort.gflops as number).toFixed(1)} GFLOP/s (${(ort.pct_of_matmul as number).toFixed(0)}% of MatMul)`);
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
      const pyFile = pytorchDir ? path.join(pytorchDir, m.pytorch) : null;
      if (pyFile && fs.existsSync(pyFile)) {
        log('  onnxruntime (PyTorch export) ...');
        const py = child('ort', ['--file', pyFile, '--shape', fullShape, '--runs', runs, '--threads', String(threads), '--optimized', path.join(tmp, `${m.key}.pytorch.opt.onnx`)]);
        py.gflops = flops / (py.median_ms as number) / 1e6;
        py.pct_of_matmul = (100 * (py.gflops as number)) / (matmul.gflops as number);
        py.graph_ops = Object.fromEntries(readOnnxSummary(fs.readFileSync(pyFile)).ops);
        const ours = Object.keys(ort.optimized_ops as object);
        const theirs = new Set(Object.keys(py.optimized_ops as object));
        entry.pytorch_export = py;
        entry.ops_not_in_pytorch_export = ours.filter((op) => !theirs.has(op));
        entry.speed_vs_pytorch_export = (py.median_ms as number) / (ort.median_ms as number);
        log(`  PyTorch export: ${(py.median_ms as number).toFixed(1)} ms; extra ops in hrdet's optimised graph: ${JSON.stringify(entry.ops_not_in_pytorch_export)}`);
      }
      results.push(entry);
    }
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
    .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
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
