/**
 * Eager tfjs forward of whole models against the same engine's plain-conv rate.
 *
 * For each model: one warm-up forward records every conv2d call (input shape, weight shape,
 * stride/padding/dilation/groups); the model forward is then timed, and so is a replay of
 * exactly those convolutions alone (tf.conv2d on random tensors of the same shapes, on the
 * same backend, in the same run). "framework share" = 1 - conv time / model time: what
 * everything around the convolutions (BN, ReLU, resize, concat, layout, dispatch) adds.
 * Target: model rate >= 80% of the plain-conv rate.
 *
 *   node dist/bench/model-bench.js [--backends wasm,cpu] [--reps 3]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel } from '../src/apis/build-model';
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

function timeIt(fn: () => void, reps: number): number {
  fn(); // warm-up
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

async function benchModel(backend: string, spec: (typeof MODELS)[number], reps: number) {
  const { model } = await buildModel(spec.config);
  const engine = new TfjsEngine();
  const rnd = new Random(1);
  const input = engine.constant(hostTensor('float32', [1, ...spec.shape], rnd.normalArray(spec.shape.reduce((a, b) => a * b, 1))));
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
  const modelMs = timeIt(() => tf.tidy(() => withEngine(engine, () => sync([...model.forward(input).values()].map(unwrap)))), reps);
  const convMs = timeIt(() => tf.tidy(() => replay.forEach((r) => sync(run(r)))), reps);
  replay.forEach((r) => (r.x.dispose(), r.w.dispose()));
  const modelRate = (2 * totalMacs) / (modelMs * 1e6);
  const convRate = (2 * totalMacs) / (convMs * 1e6);
  return {
    backend,
    model: spec.name,
    input: [1, ...spec.shape],
    conv_calls: calls.length,
    gmacs: totalMacs / 1e9,
    model_ms: modelMs,
    conv_only_ms: convMs,
    model_gflops: modelRate,
    plain_conv_gflops: convRate,
    model_vs_conv: modelRate / convRate,
  };
}

async function main() {
  const backends = arg('--backends', 'wasm,cpu').split(',');
  const reps = Number(arg('--reps', '3'));
  const only = arg('--models', '');
  const rows: Awaited<ReturnType<typeof benchModel>>[] = [];
  for (const backend of backends) {
    const report = await initBackend(backend);
    for (const spec of MODELS) {
      if (only && !spec.name.toLowerCase().includes(only.toLowerCase())) continue;
      // the cpu backend is an order of magnitude slower: one timed repetition there
      const r = await benchModel(report.name, spec, backend === 'cpu' ? 1 : reps);
      rows.push(r);
      console.log(
        `${r.backend.padEnd(6)} ${r.model.padEnd(42)} ${r.model_ms.toFixed(0).padStart(8)} ms  ${r.model_gflops.toFixed(1).padStart(6)} GFLOP/s` +
          `  plain conv ${r.plain_conv_gflops.toFixed(1).padStart(6)} GFLOP/s  model/conv ${(100 * r.model_vs_conv).toFixed(0)}%`,
      );
    }
  }
  const out = path.join(__dirname, '..', '..', 'bench', 'results', 'model-bench.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // keep rows of other backends/models from earlier runs (the cpu backend is benchmarked separately: it is slow)
  const earlier: typeof rows = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')).rows ?? [] : [];
  const merged = [...earlier.filter((e) => !rows.some((r) => r.backend === e.backend && r.model === e.model)), ...rows];
  fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), cpus: require('node:os').cpus().length, rows: merged }, null, 2));
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
