/**
 * Eager tfjs forward of whole models, with each kernel set, against onnxruntime running
 * hrdet's own export of the same network.
 *
 * For each model and kernel set, in a child process of its own (the kernel set and wasm threads
 * are chosen once per process):
 *   tfjs ort kernels   HRDET_KERNELS=ort (wasm single-threaded, as initBackend picks it)
 *   tfjs wasm kernels  HRDET_KERNELS=wasm (wasm threads as initBackend picks them)
 * The peer, in the same process: onnxruntime (CPU execution provider, 2 intra-op threads) on
 * exportOnnx of the very model instance (same weights, BN folded, no verification). Each
 * repetition times the eager forward and the onnxruntime run back to back, so both see the
 * same load; "eager vs onnxruntime" is the median over repetitions of onnxruntime's time / the
 * eager time (target for the ort kernels: >= 75%). Times are medians after a warm-up.
 * The tfjs paths also time a replay of exactly the model's convolutions alone (tf.conv2d on
 * random tensors of the recorded shapes, same process): "framework share" = 1 - conv time /
 * model time is what everything around the convolutions adds.
 * The load average is recorded before and after each child.
 *
 *   node dist/bench/model-bench.js [--paths ort,wasm] [--models w32] [--reps 3]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel } from '../src/apis/build-model';
import { exportOnnx } from '../src/apis/export';
import { sessionCache } from '../src/engines/tfjs/kernels/ort/session-cache';
import { OnnxModel } from '../src/runtime/onnx-model';
import { initBackend } from '../src/engines/tfjs/backend';
import { TfjsEngine, unwrap } from '../src/engines/tfjs/tfjs-engine';
import { withEngine } from '../src/core/engine-context';
import { hostTensor } from '../src/core/host-tensor';
import { Random } from '../src/core/random';
import type { Conv2dOptions } from '../src/core/engine';
import type { Tensor } from '../src/core/tensor';
import type { BaseModel } from '../src/models/base-model';

interface ConvCall {
  x: number[]; // physical NHWC
  w: number[]; // [kh, kw, in/groups, out]
  o: Conv2dOptions;
}

const MODELS: { name: string; config: string; shape: [number, number, number] }[] = [
  { name: 'pose HRNet-W32 256x192', config: 'configs/hrnet/td-hm_hrnet-w32_8xb64-210e_coco-256x192.json', shape: [3, 256, 192] },
  { name: 'HRNetV2p-W18 (backbone + HRFPN) 800x1216', config: 'configs/hrnet/hrnetv2p-w18-hrfpn.json', shape: [3, 800, 1216] },
];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function recordConvs(engine: TfjsEngine, model: BaseModel, input: Tensor): ConvCall[] {
  const calls: ConvCall[] = [];
  const original = engine.conv2d.bind(engine);
  engine.conv2d = (x, w, b, o) => {
    const wt = unwrap(w); // stored [O, kh, kw, I/g]
    calls.push({ x: [...unwrap(x).shape], w: [wt.shape[1]!, wt.shape[2]!, wt.shape[3]!, wt.shape[0]], o });
    return original(x, w, b, o);
  };
  try {
    tf.tidy(() => withEngine(engine, () => void model.forward(input)));
  } finally {
    engine.conv2d = original;
  }
  return calls;
}

function macs(calls: ConvCall[], outShapes: number[][]): number {
  return calls.reduce((s, c, i) => s + c.w.reduce((a, b) => a * b, 1) * outShapes[i][1] * outShapes[i][2], 0);
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

function wallMs(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function wallMsAsync(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * The eager forward, onnxruntime on the export of the same model (same weights), and the conv
 * replay, timed in turn within each repetition so that all three see the same machine load.
 */
async function benchModel(label: string, spec: (typeof MODELS)[number], reps: number) {
  const { model } = await buildModel(spec.config);
  const { bytes } = await exportOnnx(model, { shape: spec.shape, verify: false });
  const onnx = await OnnxModel.load(bytes, { provider: 'cpu', intraOpThreads: 2 });
  const engine = new TfjsEngine();
  const values = new Random(1).normalArray(spec.shape.reduce((a, b) => a * b, 1));
  const input = engine.constant(hostTensor('float32', [1, ...spec.shape], values));
  const onnxInput = hostTensor('float32', [1, ...spec.shape], values);
  const calls = recordConvs(engine, model, input);
  // replay tensors: random data of the recorded shapes, made once outside the timed region
  const replay = calls.map((c) => ({ x: tf.randomNormal(c.x as [number, number, number, number]) as tf.Tensor4D, w: tf.randomNormal(c.w as [number, number, number, number]) as tf.Tensor4D, o: c.o }));
  const run = (r: (typeof replay)[number]) =>
    r.o.groups === 1
      ? tf.conv2d(r.x, r.w, [r.o.stride[0], r.o.stride[1]], [[0, 0], [r.o.padding[0], r.o.padding[0]], [r.o.padding[1], r.o.padding[1]], [0, 0]], 'NHWC', [r.o.dilation[0], r.o.dilation[1]])
      : tf.depthwiseConv2d(r.x, r.w, [r.o.stride[0], r.o.stride[1]], [[0, 0], [r.o.padding[0], r.o.padding[0]], [r.o.padding[1], r.o.padding[1]], [0, 0]]);
  const outShapes = tf.tidy(() => replay.map((r) => run(r).shape as number[]));
  const totalMacs = macs(calls, outShapes);
  const sync = (t: tf.Tensor | tf.Tensor[]) => (Array.isArray(t) ? t.forEach((x) => x.dataSync()) : t.dataSync());
  const eager = () => tf.tidy(() => withEngine(engine, () => sync([...model.forward(input).values()].map(unwrap))));
  const convs = () => tf.tidy(() => replay.forEach((r) => sync(run(r))));
  // warm-up: sessions, filter layouts, onnxruntime's first run
  eager();
  eager();
  convs();
  await onnx.run({ input: onnxInput });
  const t = { model: [] as number[], onnx: [] as number[], conv: [] as number[] };
  for (let r = 0; r < reps; r++) {
    t.model.push(wallMs(eager));
    t.onnx.push(await wallMsAsync(() => onnx.run({ input: onnxInput })));
    t.conv.push(wallMs(convs));
  }
  replay.forEach((r) => (r.x.dispose(), r.w.dispose()));
  const modelMs = median(t.model);
  return {
    backend: label,
    model: spec.name,
    input: [1, ...spec.shape],
    conv_calls: calls.length,
    gmacs: totalMacs / 1e9,
    model_ms: modelMs,
    onnx_ms: median(t.onnx),
    conv_only_ms: median(t.conv),
    model_gflops: (2 * totalMacs) / (modelMs * 1e6),
    // median over repetitions of onnxruntime's time / the eager time, each pair timed back to back
    vs_onnxruntime: median(t.model.map((m, i) => t.onnx[i] / m)),
    times_ms: t,
  };
}

const PATHS: Record<string, { label: string; env: Record<string, string> }> = {
  ort: { label: 'tfjs ort kernels', env: { HRDET_KERNELS: 'ort' } },
  wasm: { label: 'tfjs wasm kernels', env: { HRDET_KERNELS: 'wasm' } },
};

async function child(kind: string, modelName: string, reps: number): Promise<void> {
  const spec = MODELS.find((m) => m.name === modelName)!;
  const report = await initBackend('wasm');
  const r = await benchModel(`${report.name} [${report.threads} wasm thread${report.threads === 1 ? '' : 's'}, kernels ${report.kernels?.name}]`, spec, reps);
  process.stdout.write(`${JSON.stringify({ ...r, ort_sessions: sessionCache.size })}\n`);
}

function runChild(kind: string, modelName: string, reps: number): Record<string, unknown> | null {
  const load = os.loadavg();
  const r = spawnSync(process.execPath, [__filename, '--child', kind, '--model', modelName, '--reps', String(reps)], {
    encoding: 'utf8',
    env: { ...process.env, ...PATHS[kind].env },
    maxBuffer: 1 << 24,
    timeout: 60 * 60 * 1000,
  });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) {
    process.stderr.write(`${PATHS[kind].label} / ${modelName} failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}\n`);
    return null;
  }
  return { path: PATHS[kind].label, ...JSON.parse(last), loadavg_before: load, loadavg_after: os.loadavg() };
}

async function main() {
  const reps = Number(arg('--reps', '3'));
  const kind = arg('--child', '');
  if (kind) return child(kind, arg('--model', ''), reps);
  const paths = arg('--paths', 'ort,wasm').split(',');
  for (const p of paths) if (!(p in PATHS)) throw new Error(`unknown path '${p}': expected one of ${Object.keys(PATHS).join(', ')}`);
  const only = arg('--models', '');
  const rows: Record<string, unknown>[] = [];
  for (const spec of MODELS) {
    if (only && !spec.name.toLowerCase().includes(only.toLowerCase())) continue;
    const byPath: Record<string, Record<string, unknown>> = {};
    for (const p of paths) {
      process.stderr.write(`${spec.name}: ${PATHS[p].label} ...\n`);
      const r = runChild(p, spec.name, reps);
      if (r) byPath[p] = r;
    }
    for (const [p, r] of Object.entries(byPath)) {
      rows.push(r);
      const share = `framework share ${(100 * (1 - (r.conv_only_ms as number) / (r.model_ms as number))).toFixed(0)}%`;
      const load = (r.loadavg_before as number[]).map((v) => v.toFixed(1)).join(' ');
      console.log(
        `${spec.name.padEnd(42)} ${PATHS[p].label.padEnd(18)} ${(r.model_ms as number).toFixed(0).padStart(7)} ms  onnxruntime ${(r.onnx_ms as number).toFixed(0).padStart(6)} ms` +
          `  eager vs onnxruntime ${(100 * (r.vs_onnxruntime as number)).toFixed(0)}%  ${share}  (load ${load})`,
      );
    }
  }
  const out = path.join(__dirname, '..', '..', 'bench', 'results', 'model-bench.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // keep rows of models not run this time (the 800x1216 model takes minutes per path)
  const earlier: Record<string, unknown>[] = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')).rows ?? []) : [];
  const merged = [...earlier.filter((e) => !rows.some((r) => r.path === e.path && r.model === e.model)), ...rows];
  const doc = { date: new Date().toISOString(), machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model }, node: process.version, rows: merged };
  fs.writeFileSync(`${out}.tmp`, `${JSON.stringify(doc, null, 2)}\n`);
  fs.renameSync(`${out}.tmp`, out);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
