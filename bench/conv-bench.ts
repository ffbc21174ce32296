/**
 * 3x3 convolution forward and backward throughput, GFLOP/s = 2 * MACs / time, for every tfjs
 * path hrdet can run and for onnxruntime-node as the ceiling peer.
 *
 * Shapes (NCHW): 64->64 at 1x64x200x304 and 256->256 at 1x256x50x76, stride 1, padding 1.
 * Columns: forward; dx (input gradient); dW (filter gradient).
 * Paths, each in a fresh child process (a tfjs backend is set up once per process):
 *   tfjs-wasm + ort kernels  hrdet's onnxruntime kernel set (HRDET_KERNELS=ort), wasm single-threaded
 *                            as initBackend picks it with them: tensors handed over in place
 *   ... + threaded wasm      the same on the threaded wasm build (HRDET_WASM_THREADS=2): its heap
 *                            is a SharedArrayBuffer, so every input and output is copied
 *   tfjs-wasm (hrdet)        hrdet's wasm kernel set (HRDET_KERNELS=wasm), wasm threads as
 *                            initBackend picks them
 *   tfjs-wasm 1 thread       the same, single-threaded build (HRDET_WASM_THREADS=1)
 *   tfjs-wasm (tfjs native)  tfjs-wasm's own Conv2DBackpropInput (it has no Conv2DBackpropFilter)
 *   tfjs-cpu (hrdet)         fewer repetitions: the cpu backend is two orders slower
 *   onnxruntime-node         one-node models built in memory (Conv; ConvTranspose for dx; dW as
 *                            a Conv of the input by dy with batch and channels swapped),
 *                            CPU execution provider, 2 intra-op threads
 * The ort-kernel paths also time plain onnxruntime back to back with themselves, repetition by
 * repetition in the same process, and report the median ratio (target: >= 85%).
 * Times are wall-clock medians. Writes bench/results/conv-bench.json.
 * With --crossover: small convolutions with the ort kernels and with wasm's, for the size rule
 * (bench/results/conv-crossover.json).
 *
 *   node dist/bench/conv-bench.js [--crossover] [--reps 5] [--cpu-reps 1] [--paths ort-kernels,ort-kernels-mt,wasm,wasm1,wasm-native,cpu,ort]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../src/core/random';
import { initBackend } from '../src/engines/tfjs/backend';
import { symmetricGeometry } from '../src/engines/tfjs/conv-geometry';
import { filterGradient, inputGradient } from '../src/engines/tfjs/conv-grad';
import { originalKernel } from '../src/engines/tfjs/kernels/kernel-registry';
import { setMinMacs, useKernelSet } from '../src/engines/tfjs/kernels/ort/kernel-set';

interface Shape {
  name: string;
  c: number;
  h: number;
  w: number;
}

const SHAPES: Shape[] = [
  { name: '64->64 @ 1x64x200x304', c: 64, h: 200, w: 304 },
  { name: '256->256 @ 1x256x50x76', c: 256, h: 50, w: 76 },
];

type Pass = 'forward' | 'dx' | 'dW';
const PASSES: Pass[] = ['forward', 'dx', 'dW'];

interface Result {
  path: string;
  shape: string;
  pass: Pass;
  gflops: number | null;
  ms: number | null;
  reps: number;
  note?: string;
  /** ort-kernel paths: plain onnxruntime timed back to back with this path, and the median ratio. */
  peerMs?: number;
  vsPeer?: number;
}

/** Environment of each path's child process. */
const PATH_ENV: Record<string, Record<string, string>> = {
  'ort-kernels': { HRDET_KERNELS: 'ort' },
  'ort-kernels-mt': { HRDET_KERNELS: 'ort', HRDET_WASM_THREADS: '2' },
  wasm: { HRDET_KERNELS: 'wasm' },
  wasm1: { HRDET_KERNELS: 'wasm', HRDET_WASM_THREADS: '1' },
  'wasm-native': { HRDET_KERNELS: 'wasm' },
  cpu: { HRDET_KERNELS: 'wasm' },
};

const PATHS: Record<string, string> = {
  'ort-kernels': 'tfjs-wasm + ort kernels',
  'ort-kernels-mt': 'tfjs-wasm + ort kernels, threaded wasm (copies)',
  wasm: 'tfjs-wasm (hrdet)',
  wasm1: 'tfjs-wasm 1 thread (hrdet)',
  'wasm-native': 'tfjs-wasm (tfjs native)',
  cpu: 'tfjs-cpu (hrdet)',
  ort: 'onnxruntime-node (2 threads)',
};

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const flops = (s: Shape) => 2 * s.h * s.w * s.c * s.c * 9;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median wall time of `reps` calls after one warm-up (none when reps is 1: cpu is slow). */
function timeIt(fn: () => void, reps: number): number {
  if (reps > 1) fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function randomTensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(new Random(seed).normalArray(shape.reduce((a, b) => a * b, 1)), shape);
}

// --- tfjs ----------------------------------------------------------------------------------

async function runTfjs(kind: string, reps: number): Promise<Result[]> {
  const backend = kind === 'cpu' ? 'cpu' : 'wasm';
  const report = await initBackend(backend);
  const label = `${PATHS[kind]}${report.threads ? ` [${report.threads} wasm thread${report.threads > 1 ? 's' : ''}]` : ''}`;
  const results: Result[] = [];
  for (const s of SHAPES) {
    const g = symmetricGeometry(s.h, s.w, [3, 3], [1, 1], [1, 1], [1, 1]);
    const x = randomTensor([1, s.h, s.w, s.c], 1) as tf.Tensor4D;
    const w = randomTensor([3, 3, s.c, s.c], 2) as tf.Tensor4D;
    const dy = randomTensor([1, s.h, s.w, s.c], 3) as tf.Tensor4D;
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [1, 1], [1, 1], [0, 0]];
    const native = originalKernel(tf.Conv2DBackpropInput, 'wasm');
    const fns: Record<Pass, (() => tf.Tensor) | null> = {
      forward: () => tf.conv2d(x, w, 1, pad),
      dx:
        kind === 'wasm-native'
          ? () => {
              const info = native!({ inputs: { dy, filter: w }, backend: tf.backend(), attrs: { strides: [1, 1], pad, dataFormat: 'NHWC', inputShape: x.shape } });
              return tf.engine().makeTensorFromTensorInfo(info as tf.TensorInfo);
            }
          : () => inputGradient(dy, w, g, x.shape),
      dW: kind === 'wasm-native' ? null : () => filterGradient(x, dy, g, w.shape),
    };
    for (const pass of PASSES) {
      const fn = fns[pass];
      if (!fn) {
        results.push({ path: label, shape: s.name, pass, gflops: null, ms: null, reps: 0, note: 'no kernel' });
        continue;
      }
      if (kind.startsWith('ort-kernels')) {
        const p = await pairedWithPeer(s, pass, fn, reps);
        results.push({ path: label, shape: s.name, pass, gflops: flops(s) / p.ms / 1e6, ms: p.ms, reps, peerMs: p.peerMs, vsPeer: p.vsPeer });
        continue;
      }
      const ms = timeIt(() => tf.tidy(fn).dispose(), reps);
      results.push({ path: label, shape: s.name, pass, gflops: flops(s) / ms / 1e6, ms, reps });
    }
    tf.dispose([x, w, dy]);
  }
  return results;
}

// --- onnxruntime ---------------------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { onnx } = require('onnx-proto') as typeof import('onnx-proto');

function valueInfo(name: string, dims: number[]) {
  return { name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

/** A model of one node `op` over float inputs, with int-list attributes. */
function oneNodeModel(op: string, inputs: [string, number[]][], output: [string, number[]], attrs: Record<string, number[]>): Uint8Array {
  const T = onnx.AttributeProto.AttributeType;
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'hrdet-bench',
    graph: {
      name: op,
      node: [
        {
          opType: op,
          input: inputs.map(([n]) => n),
          output: [output[0]],
          attribute: Object.entries(attrs).map(([name, ints]) => ({ name, type: T.INTS, ints })),
        },
      ],
      input: inputs.map(([n, d]) => valueInfo(n, d)),
      output: [valueInfo(output[0], output[1])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Plain onnxruntime on one pass of one shape: a one-node model on NCHW data, inputs fed at run time. */
async function peerSession(s: Shape, pass: Pass): Promise<{ run: () => Promise<unknown>; release: () => Promise<void> }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const conv = { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] };
  const xs = [1, s.c, s.h, s.w];
  const ws = [s.c, s.c, 3, 3];
  // dW[co, ci, ky, kx] = sum dy[co, y, x] * xpad[ci, y + ky, x + kx]: a conv of x (batch = ci,
  // one channel) by dy (one filter per co, kernel = the output size)
  const models: Record<Pass, { bytes: Uint8Array; feeds: [string, number[]][] }> = {
    forward: { bytes: oneNodeModel('Conv', [['x', xs], ['w', ws]], ['y', xs], conv), feeds: [['x', xs], ['w', ws]] },
    dx: { bytes: oneNodeModel('ConvTranspose', [['dy', xs], ['w', ws]], ['dx', xs], conv), feeds: [['dy', xs], ['w', ws]] },
    dW: {
      bytes: oneNodeModel('Conv', [['xt', [s.c, 1, s.h, s.w]], ['dyt', [s.c, 1, s.h, s.w]]], ['dwt', [s.c, s.c, 3, 3]], {
        kernel_shape: [s.h, s.w],
        pads: [1, 1, 1, 1],
        strides: [1, 1],
      }),
      feeds: [['xt', [s.c, 1, s.h, s.w]], ['dyt', [s.c, 1, s.h, s.w]]],
    },
  };
  const m = models[pass];
  const session = await ort.InferenceSession.create(m.bytes, { intraOpNumThreads: 2, interOpNumThreads: 1, executionProviders: ['cpu'] });
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
  m.feeds.forEach(([name, dims], i) => {
    feeds[name] = new ort.Tensor('float32', new Random(10 + i).normalArray(dims.reduce((a, b) => a * b, 1)), dims);
  });
  await session.run(feeds);
  return { run: () => session.run(feeds), release: () => session.release() };
}

async function runOrt(reps: number): Promise<Result[]> {
  const results: Result[] = [];
  for (const s of SHAPES) {
    for (const pass of PASSES) {
      const peer = await peerSession(s, pass);
      const times: number[] = [];
      for (let r = 0; r < reps; r++) {
        const t0 = performance.now();
        await peer.run();
        times.push(performance.now() - t0);
      }
      const ms = median(times);
      results.push({ path: PATHS.ort, shape: s.name, pass, gflops: flops(s) / ms / 1e6, ms, reps });
      await peer.release();
    }
  }
  return results;
}

/**
 * The ort-kernel path and plain onnxruntime timed in turn, repetition by repetition, in one
 * process: both see the same machine load. vs_peer = median of peer time / kernel time.
 */
async function pairedWithPeer(s: Shape, pass: Pass, fn: () => tf.Tensor, reps: number): Promise<{ ms: number; peerMs: number; vsPeer: number }> {
  const peer = await peerSession(s, pass);
  tf.tidy(fn).dispose();
  const mine: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < reps; r++) {
    let t0 = performance.now();
    tf.tidy(fn).dispose();
    mine.push(performance.now() - t0);
    t0 = performance.now();
    await peer.run();
    theirs.push(performance.now() - t0);
  }
  await peer.release();
  return { ms: median(mine), peerMs: median(theirs), vsPeer: median(mine.map((m, i) => theirs[i] / m)) };
}

// --- crossover: where the ort kernels start to win ------------------------------------------

/**
 * Forward, dx and dW of small convolutions, each timed with the ort kernel set taking every
 * call and with the wasm kernels below it (single-threaded wasm, as the ort set runs it), in
 * one process and in turn. Gives the multiply-add count above which onnxruntime wins: the
 * size rule of kernels/ort/kernel-set.
 */
async function runCrossover(reps: number) {
  await initBackend('wasm');
  const rows: { shape: string; pass: string; macs: number; ortMs: number; wasmMs: number }[] = [];
  const timeBoth = (fn: () => tf.Tensor) => {
    const time = (set: 'ort' | 'wasm') => {
      useKernelSet(set);
      return timeIt(() => {
        // read back outside tidy: tidy walks a returned typed array element by element
        const y = tf.tidy(fn);
        y.dataSync();
        y.dispose();
      }, reps);
    };
    return { ortMs: time('ort'), wasmMs: time('wasm') };
  };
  const shapes: [number, number, number, number][] = [];
  for (const k of [1, 3]) for (const [hw, c] of [[4, 8], [8, 16], [8, 32], [16, 32], [16, 64], [32, 32], [32, 64], [64, 32], [64, 64]]) shapes.push([hw, hw, c, k]);
  for (const [h, w, c, k] of shapes) {
    const x = randomTensor([1, h, w, c], 1) as tf.Tensor4D;
    const f = randomTensor([k, k, c, c], 2) as tf.Tensor4D;
    const dy = randomTensor([1, h, w, c], 3) as tf.Tensor4D;
    const g = symmetricGeometry(h, w, [k, k], [1, 1], [1, 1], [(k - 1) / 2, (k - 1) / 2]);
    const fns: Record<Pass, () => tf.Tensor> = {
      forward: () => tf.conv2d(x, f, 1, 'same'),
      dx: () => inputGradient(dy, f, g, x.shape),
      dW: () => filterGradient(x, dy, g, f.shape),
    };
    for (const pass of PASSES) rows.push({ shape: `${h}x${w}x${c} k${k}`, pass, macs: h * w * c * c * k * k, ...timeBoth(fns[pass]) });
    if (k === 3) {
      const fd = randomTensor([3, 3, c, 1], 4) as tf.Tensor4D;
      rows.push({ shape: `${h}x${w}x${c} k3`, pass: 'depthwise', macs: h * w * c * 9, ...timeBoth(() => tf.depthwiseConv2d(x, fd, 1, 'same')) });
      fd.dispose();
    }
    tf.dispose([x, f, dy]);
  }
  useKernelSet('ort');
  return rows;
}

// --- driver --------------------------------------------------------------------------------

async function child(kind: string): Promise<void> {
  const reps = Number(arg('--reps', '5'));
  if (kind === 'crossover') {
    setMinMacs({ conv: 0, convBackprop: 0, depthwise: 0, matmul: 0 });
    process.stdout.write(`${JSON.stringify(await runCrossover(reps))}\n`);
    return;
  }
  const results = kind === 'ort' ? await runOrt(reps) : await runTfjs(kind, reps);
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

function runChild(kind: string, reps: number): Result[] {
  const env = { ...process.env, ...(PATH_ENV[kind] ?? {}) };
  const r = spawnSync(process.execPath, [__filename, '--child', kind, '--reps', String(reps)], {
    encoding: 'utf8',
    env,
    maxBuffer: 1 << 24,
    timeout: 30 * 60 * 1000,
  });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('[')) {
    process.stderr.write(`${PATHS[kind]} failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}\n`);
    return [];
  }
  return JSON.parse(last) as Result[];
}

function table(results: Result[]): string {
  const rows = new Map<string, Map<string, Result>>();
  for (const r of results) {
    const key = `${r.path}|${r.shape}`;
    if (!rows.has(key)) rows.set(key, new Map());
    rows.get(key)!.set(r.pass, r);
  }
  const cell = (r?: Result) => (r?.gflops == null ? (r?.note ?? '-') : r.gflops.toFixed(1));
  const lines = [['path', 'shape', ...PASSES.map((p) => `${p} GFLOP/s`)]];
  for (const [key, passes] of rows) lines.push([...key.split('|'), ...PASSES.map((p) => cell(passes.get(p)))]);
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines.map((l) => l.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

function crossover(reps: number): void {
  const r = spawnSync(process.execPath, [__filename, '--child', 'crossover', '--reps', String(reps)], {
    encoding: 'utf8',
    env: { ...process.env, HRDET_KERNELS: 'ort' },
    maxBuffer: 1 << 24,
  });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0) throw new Error(`crossover run failed: ${r.stderr}`);
  const rows = JSON.parse(last) as { shape: string; pass: string; macs: number; ortMs: number; wasmMs: number }[];
  rows.sort((a, b) => a.macs - b.macs);
  for (const x of rows) {
    console.log(`${x.shape.padEnd(14)} ${x.pass.padEnd(8)} ${(x.macs / 1e6).toFixed(2).padStart(8)} M MACs  ort ${x.ortMs.toFixed(3).padStart(8)} ms  wasm ${x.wasmMs.toFixed(3).padStart(8)} ms  ${x.ortMs < x.wasmMs ? 'ort' : 'wasm'}`);
  }
  // per pass: the smallest size from which on onnxruntime wins every call measured
  for (const pass of [...PASSES, 'depthwise']) {
    const mine = rows.filter((x) => x.pass === pass);
    const losing = mine.filter((x) => x.ortMs >= x.wasmMs).map((x) => x.macs);
    const from = mine.find((x) => x.macs > Math.max(-1, ...losing));
    console.log(`${pass}: onnxruntime wins every measured call from ${from ? `${(from.macs / 1e6).toFixed(2)} M MACs` : '- (never)'}`);
  }
  console.log(`load ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}`);
  const out = path.join(__dirname, '..', '..', 'bench', 'results', 'conv-crossover.json');
  fs.writeFileSync(`${out}.tmp`, `${JSON.stringify({ date: new Date().toISOString(), loadavg: os.loadavg(), rows }, null, 2)}\n`);
  fs.renameSync(`${out}.tmp`, out);
}

async function main(): Promise<void> {
  const kind = arg('--child', '');
  if (kind) return child(kind);
  if (process.argv.includes('--crossover')) return crossover(Number(arg('--reps', '21')));
  const reps = Number(arg('--reps', '5'));
  const cpuReps = Number(arg('--cpu-reps', '1'));
  const paths = arg('--paths', Object.keys(PATHS).join(',')).split(',');
  const results: Result[] = [];
  for (const p of paths) {
    if (!(p in PATHS)) throw new Error(`unknown path '${p}': expected one of ${Object.keys(PATHS).join(', ')}`);
    process.stderr.write(`${PATHS[p]} ...\n`);
    results.push(...runChild(p, p === 'cpu' ? cpuReps : reps));
  }
  console.log(table(results));
  const paired = results.filter((r) => r.vsPeer !== undefined);
  if (paired.length > 0) {
    console.log('\nort kernels vs plain onnxruntime, timed back to back in one process (target >= 85%):');
    for (const r of paired) console.log(`  ${r.path.padEnd(50)} ${r.shape.padEnd(24)} ${r.pass.padEnd(8)} ${(100 * r.vsPeer!).toFixed(0).padStart(4)}%`);
  }
  const out = path.join(__dirname, '..', '..', 'bench', 'results', 'conv-bench.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const doc = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg() },
    node: process.version,
    flopsPerPass: Object.fromEntries(SHAPES.map((s) => [s.name, flops(s)])),
    results,
  };
  const tmp = `${out}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
  fs.renameSync(tmp, out);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
