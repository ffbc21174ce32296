/**
 * One training step of whole models on the tfjs engine, split into its stages, against the same
 * networks in PyTorch CPU eager (bench/train_bench_torch.py, run in the same bench when
 * /usr/bin/python3 has torch).
 *
 * Models (random NCHW input, random targets of the shape the loss takes):
 *   pose HRNet-W32 256x192, batch 2   td-hm_hrnet-w32 config; heatmaps 17x64x48 and keypoint weights
 *   seg HRNet-W18 512x512, batch 2    fcn_hr18 config (mmseg's); label map 512x512, 10% ignore (255)
 *   Faster R-CNN HRNetV2p-W18 and R-50-FPN 800x1216, batch 1 (the 1x COCO configs), and the
 *   synthetic Faster R-CNN / FCOS configs at 256x256, batch 4: eight random GT boxes an image
 * Stages, medians over --steps repetitions after --warmup steps:
 *   forward            loss mode without recording the tape, timed in runs of its own; for
 *                      detectors also the part spent on target assignment (anchor / point
 *                      targets, assigners, samplers, bbox targets) and inside the loss modules
 *   forward+backward   TfjsEngine.valueAndGrads of the summed losses (parseLosses)
 *   backward           forward+backward - forward (of the same repetition)
 *   update             OptimWrapper.update (buildOptimWrapper: SGD lr 0.01, momentum 0.9, wd 5e-4)
 * Then --mem-steps further steps: tfjs tensor count and RSS before and after (a leak shows as a
 * growing count). hrdet runs in a child process per model and backend; the PyTorch peer (torch
 * restatements of the same networks, parameter counts checked; for Faster R-CNN R-50-FPN
 * torchvision's fasterrcnn_resnet50_fpn in training mode, bench/torchvision_faster_rcnn.py; 2 threads,
 * OPENBLAS_CORETYPE=SkylakeX; no_grad for the forward) in another, and the two are alternated
 * repetition by repetition, so each ratio compares runs seconds apart on a shared machine.
 * Targets: hrdet step <= 3x PyTorch's on wasm; backward <= 2.5x forward; detectors' target
 * assignment <= 10% of the step.
 * Writes bench/results/train-bench.json and .md (--out <path without extension> elsewhere).
 *
 *   node dist/bench/train-bench.js [--backends wasm,cpu] [--steps 5]
 *       [--warmup 2] [--mem-steps 10] [--batch 2] [--no-peer]
 *       [--models pose,seg,faster-hr18,faster-r50,faster-hr18-synthetic,faster-r18-synthetic,fcos-hr18-synthetic] [--peer-threads 2] [--out bench/results/train-bench]
 * A model that runs out of wasm memory (its heap is at most 4 GiB) is recorded as failed and
 * measured again, both sides, at half the side length (same batch).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel } from '../src/apis/build-model';
import { initBackend } from '../src/engines/tfjs/backend';
import { TfjsEngine } from '../src/engines/tfjs/tfjs-engine';
import { withEngine } from '../src/core/engine-context';
import { hostTensor } from '../src/core/host-tensor';
import { Random } from '../src/core/random';
import type { Tensor } from '../src/core/tensor';
import type { BaseModel } from '../src/models/base-model';
import * as fcosTargets from '../src/models/heads/dense/fcos-targets';
import { RPNHead } from '../src/models/heads/dense/rpn-head';
import { AssignAndSample } from '../src/models/heads/assign-and-sample';
import * as bboxTargetsModule from '../src/models/heads/roi/bbox-targets';
import { Loss } from '../src/models/losses/loss';
import { createContainer } from '../src/registry/container';
import { Boxes } from '../src/structures/boxes';
import type { DataSample } from '../src/structures/data-sample';
import { DetDataSample } from '../src/structures/det-data-sample';
import { InstanceData } from '../src/structures/instance-data';
import { PixelData } from '../src/structures/pixel-data';
import { PoseDataSample } from '../src/structures/pose-data-sample';
import { SegDataSample } from '../src/structures/seg-data-sample';
import { buildOptimWrapper } from '../src/training/optim/build-optim-wrapper';
import { parseLosses } from '../src/training/parse-losses';

const DEFAULT_BATCH = 2;
const SGD = { optimizer: { type: 'SGD', lr: 0.01, momentum: 0.9, weight_decay: 5e-4 } };
const COCO_FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15];
const ROOT = path.join(__dirname, '..', '..');
const PYTHON = process.env.HRDET_PYTHON ?? '/usr/bin/python3';

interface ModelSpec {
  id: string;
  name: string;
  config: string;
  size: [number, number];
  /** The batch this model is measured at (default --batch). */
  batch?: number;
  samples: (rng: Random, batch: number, size: [number, number]) => DataSample[];
  /** The PyTorch side: a restatement of the same network (train_bench_torch.py) or torchvision's Faster R-CNN; none where neither is the same network. */
  peer: 'restated' | 'torchvision' | null;
}

const poseSamples = (rng: Random, batch: number): DataSample[] =>
  Array.from({ length: batch }, () => {
    const [K, h, w] = [17, 64, 48];
    const s = new PoseDataSample({ input_size: [192, 256], input_center: [96, 128], input_scale: [192, 256], flip_indices: COCO_FLIP });
    s.gt_instances = new InstanceData({ bboxes: Boxes.fromRows([[0, 0, 192, 256]]), bbox_scores: Float32Array.of(1) });
    s.gt_targets = {
      heatmaps: hostTensor('float32', [K, h, w], Float32Array.from({ length: K * h * w }, () => rng.next())),
      keypoint_weights: hostTensor('float32', [1, K], new Float32Array(K).fill(1)),
    };
    return s;
  });

const segSamples = (rng: Random, batch: number, [h, w]: [number, number]): DataSample[] =>
  Array.from({ length: batch }, () => {
    const s = new SegDataSample({ img_shape: [h, w], ori_shape: [h, w], pad_shape: [h, w] });
    s.gt_sem_seg = new PixelData(Int32Array.from({ length: h * w }, () => (rng.next() < 0.1 ? 255 : Math.floor(rng.next() * 19))), [1, h, w]);
    return s;
  });

/**
 * Eight GT boxes per image, 32 px to 30% of the image on a side, labels below `classes`: the
 * boxes torchvision_faster_rcnn.py draws for its side (same rule, its own generator).
 */
const detSamples =
  (classes: number) =>
  (rng: Random, batch: number, [h, w]: [number, number]): DataSample[] =>
    Array.from({ length: batch }, () => {
      const s = new DetDataSample({ img_shape: [h, w], ori_shape: [h, w], pad_shape: [h, w], batch_input_shape: [h, w], scale_factor: [1, 1] });
      const rows = Array.from({ length: 8 }, () => {
        const [x, y] = [rng.next() * w * 0.7, rng.next() * h * 0.7];
        return [x, y, x + 32 + rng.next() * w * 0.3, y + 32 + rng.next() * h * 0.3];
      });
      s.gt_instances = new InstanceData({ bboxes: Boxes.fromRows(rows), labels: Int32Array.from(rows, () => Math.floor(rng.next() * classes)) });
      return s;
    });

const MODELS: ModelSpec[] = [
  { id: 'pose', name: 'pose HRNet-W32', config: 'configs/hrnet/td-hm_hrnet-w32_8xb64-210e_coco-256x192.json', size: [256, 192], samples: poseSamples, peer: 'restated' },
  { id: 'seg', name: 'seg HRNet-W18 (fcn_hr18)', config: 'configs/hrnet/fcn_hr18_4xb2-40k_cityscapes-512x1024.json', size: [512, 512], samples: segSamples, peer: 'restated' },
  { id: 'faster-hr18', name: 'Faster R-CNN HRNetV2p-W18', config: 'configs/hrnet/faster-rcnn_hrnetv2p-w18-1x_coco.json', size: [800, 1216], batch: 1, samples: detSamples(80), peer: null },
  { id: 'faster-r50', name: 'Faster R-CNN R-50-FPN', config: 'configs/faster_rcnn/faster-rcnn_r50_fpn_1x_coco.json', size: [800, 1216], batch: 1, samples: detSamples(80), peer: 'torchvision' },
  { id: 'faster-hr18-synthetic', name: 'Faster R-CNN HRNetV2p-W18-small (synthetic)', config: 'configs/synthetic/faster-rcnn_hrnetv2p-w18-small_synthetic.json', size: [256, 256], batch: 4, samples: detSamples(6), peer: null },
  { id: 'faster-r18-synthetic', name: 'Faster R-CNN R-18-FPN (synthetic)', config: 'configs/synthetic/faster-rcnn_r18_fpn_synthetic.json', size: [256, 256], batch: 4, samples: detSamples(6), peer: null },
  { id: 'fcos-hr18-synthetic', name: 'FCOS HRNetV2p-W18-small (synthetic)', config: 'configs/synthetic/fcos_hrnetv2p-w18-small_synthetic.json', size: [256, 256], batch: 4, samples: detSamples(6), peer: null },
];

/**
 * What a detector's loss-mode forward spends on target assignment (anchor and point targets,
 * assigners, samplers, bbox targets: host work) and inside its loss modules, by wrapping
 * those functions for the life of the process. Only the outermost call of each kind is
 * timed, so RPNHead.targets' inner assigner runs are not counted twice.
 */
class LossStageTimer {
  assign = 0;
  loss = 0;
  private depth = { assign: 0, loss: 0 };

  constructor(model: BaseModel) {
    const assign = (owner: object, key: string) => this.wrap(owner, key, 'assign');
    assign(AssignAndSample.prototype, 'run');
    assign(RPNHead.prototype, 'targets');
    assign(fcosTargets, 'fcosImageTargets');
    assign(bboxTargetsModule, 'bboxTargets');
    // heads hold their losses as plain fields (not child modules: a loss has no parameters)
    for (const [, m] of model.namedModules()) for (const v of Object.values(m)) if (v instanceof Loss) this.wrap(v, 'forward', 'loss');
  }

  reset(): void {
    this.assign = this.loss = 0;
  }

  private wrap(owner: object, key: string, kind: 'assign' | 'loss'): void {
    const o = owner as Record<string, (...a: unknown[]) => unknown>;
    const inner = o[key];
    if (typeof inner !== 'function') throw new Error(`train-bench: cannot time ${key}: not a function`);
    const timer = this;
    o[key] = function (this: unknown, ...a: unknown[]) {
      if (timer.depth[kind] > 0) return inner.apply(this, a);
      timer.depth[kind]++;
      const t0 = now();
      try {
        return inner.apply(this, a);
      } finally {
        timer[kind] += now() - t0;
        timer.depth[kind]--;
      }
    };
  }
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e6;
const rssMb = () => process.memoryUsage().rss / 2 ** 20;
/** The wasm heap only grows: its size is the high-water mark of tfjs memory on wasm (at most 4 GiB). */
const wasmHeapMb = () => {
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap ? heap.length / 2 ** 20 : undefined;
};
const memoryNow = () => ({ tensors: tf.memory().numTensors, rss_mb: rssMb(), wasm_heap_mb: wasmHeapMb() });

interface StepTimes {
  forward_backward_ms: number;
  update_ms: number;
}

/** One model on the active backend, ready to time its stages on request. */
async function setUp(spec: ModelSpec, batch: number, size: [number, number]) {
  const { model } = await buildModel(path.join(ROOT, spec.config));
  model.train();
  const engine = new TfjsEngine();
  const optim = buildOptimWrapper(model, SGD, createContainer());
  const params = new Map([...model.namedParameters()].filter(([, p]) => p.requiresGrad));
  const first = params.values().next().value!;
  const rng = new Random(3);
  const shape = [batch, 3, ...size];
  const input = engine.constant(hostTensor('float32', shape, rng.normalArray(shape.reduce((a, b) => a * b, 1))));
  const samples = spec.samples(rng, batch, size);
  const loss = (m: BaseModel): Tensor => parseLosses(m.forward(input, samples, 'loss')).total;
  const stages = new LossStageTimer(model);
  // wasm and cpu run kernels as they are called: reading the loss back ends the stage
  const forward = () => {
    stages.reset();
    const t0 = now();
    engine.tidy(() => withEngine(engine, () => void engine.readSync(loss(model))));
    return { forward_ms: now() - t0, assign_ms: stages.assign, loss_ms: stages.loss };
  };
  const step = (): StepTimes =>
    engine.tidy(() => {
      const t0 = now();
      const { value, grads } = engine.valueAndGrads(() => loss(model), params);
      engine.readSync(value);
      const t1 = now();
      withEngine(engine, () => optim.update(grads));
      engine.readSync(engine.parameter(first)); // the update is done once a parameter can be read
      return { forward_backward_ms: t1 - t0, update_ms: now() - t1 };
    });
  const memory = (n: number) => {
    const before = memoryNow();
    for (let i = 0; i < n; i++) step();
    return { before, after: memoryNow(), steps: n };
  };
  return { params: model.numParameters(), forward, step, memory };
}

/**
 * The hrdet side as a child process: set up, warm up, then answer the parent's commands on
 * stdin ('forward', 'step', 'memory N', 'quit') with one JSON line each, the protocol of
 * train_bench_torch.py --serve, so the parent can alternate the two repetition by repetition.
 */
async function serve(modelId: string, backend: string, warmup: number, batch: number, size: [number, number]): Promise<void> {
  const spec = MODELS.find((m) => m.id === modelId)!;
  const report = await initBackend(backend);
  const label = `${report.name}${report.name === 'wasm' ? ` [${report.threads} wasm thread${report.threads === 1 ? '' : 's'}, kernels ${report.kernels?.name}]` : ''}`;
  const m = await setUp(spec, batch, size);
  for (let i = 0; i < warmup; i++) {
    m.forward();
    m.step();
  }
  const reply = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
  reply({ ready: true, backend: label, params: m.params });
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const [cmd, n] = line.trim().split(/\s+/);
    if (!cmd || cmd === 'quit') break;
    if (cmd === 'forward') reply(m.forward());
    else if (cmd === 'step') reply(m.step());
    else if (cmd === 'memory') reply(m.memory(Number(n)));
    else reply({ error: `unknown command '${cmd}'` });
  }
}

/** A child process that answers one JSON line per command line. */
class Worker {
  private readonly lines: string[] = [];
  private waiting: ((line: string | null) => void) | null = null;
  private readonly proc: ChildProcess;
  private stderr = '';

  constructor(
    readonly name: string,
    cmd: string,
    args: string[],
    env: NodeJS.ProcessEnv,
  ) {
    this.proc = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    readline.createInterface({ input: this.proc.stdout! }).on('line', (l) => this.push(l));
    this.proc.stderr!.on('data', (d) => (this.stderr += d));
    this.proc.on('close', () => this.push(null));
  }

  private push(line: string | null): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w(line);
    } else if (line !== null) this.lines.push(line);
  }

  /** The next JSON line (after sending `cmd`, when given). */
  async ask(cmd?: string): Promise<Record<string, unknown>> {
    if (cmd) this.proc.stdin!.write(`${cmd}\n`);
    const line = this.lines.shift() ?? (await new Promise<string | null>((resolve) => (this.waiting = resolve)));
    if (line === null || !line.startsWith('{')) {
      const said = this.stderr.split('\n').filter((l) => l.trim() && !/^\s+at /.test(l));
      throw new Error(`${this.name} stopped answering: ${said.slice(-2).join(' | ') || 'no message'}`);
    }
    const o = JSON.parse(line);
    if (o.error) throw new Error(`${this.name}: ${o.error}`);
    return o;
  }

  quit(): void {
    this.proc.stdin!.end('quit\n');
  }
}

function hasTorch(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}

type Row = Record<string, unknown>;
type Times = { forward: number[]; assign: number[]; loss: number[]; forward_backward: number[]; backward: number[]; update: number[]; step: number[] };
/** `assign` (target assignment and sampling) and `loss` (the loss modules) are parts of `forward`; the PyTorch side reports neither. */
const STAGES = ['forward', 'assign', 'loss', 'backward', 'forward_backward', 'update', 'step'] as const;

function emptyTimes(): Times {
  return { forward: [], assign: [], loss: [], forward_backward: [], backward: [], update: [], step: [] };
}

function record(t: Times, f: Record<string, unknown>, s: Record<string, unknown>): void {
  const [fwd, fb, upd] = [f.forward_ms as number, s.forward_backward_ms as number, s.update_ms as number];
  t.forward.push(fwd);
  t.assign.push((f.assign_ms as number | undefined) ?? NaN);
  t.loss.push((f.loss_ms as number | undefined) ?? NaN);
  t.forward_backward.push(fb);
  t.backward.push(fb - fwd);
  t.update.push(upd);
  t.step.push(fb + upd);
}

const medians = (t: Times) => Object.fromEntries(STAGES.filter((k) => t[k].length && !t[k].some(Number.isNaN)).map((k) => [k, median(t[k])])) as Partial<Record<(typeof STAGES)[number], number>>;

/**
 * hrdet on one backend, and the PyTorch peer when there is one, alternated: each repetition
 * times hrdet's forward, the peer's, hrdet's step, the peer's, so a ratio compares runs seconds
 * apart (the median of the per-repetition ratios is reported).
 */
async function benchPair(spec: ModelSpec, backend: string, o: { steps: number; warmup: number; memSteps: number; peer: boolean; peerThreads: number; batch: number; size: [number, number] }): Promise<Row> {
  const loadBefore = os.loadavg();
  const hrdet = new Worker(`hrdet ${spec.id} ${backend}`, process.execPath, [__filename, '--serve', spec.id, '--backend', backend, '--warmup', String(o.warmup), '--batch', String(o.batch), '--size', o.size.join('x')], process.env);
  const mine = await hrdet.ask();
  let peer: Worker | undefined;
  let theirs: Record<string, unknown> | undefined;
  if (o.peer && spec.peer) {
    const env = { ...process.env, OPENBLAS_CORETYPE: 'SkylakeX' };
    const common = ['--serve', '--threads', String(o.peerThreads), '--warmup', String(o.warmup), '--batch', String(o.batch)];
    peer =
      spec.peer === 'restated'
        ? new Worker(`PyTorch ${spec.id}`, PYTHON, [path.join(ROOT, 'bench', 'train_bench_torch.py'), ...common, '--model', spec.id, '--size', o.size.join('x')], env)
        : new Worker(`torchvision ${spec.id}`, PYTHON, [path.join(ROOT, 'bench', 'torchvision_faster_rcnn.py'), 'train', ...common, '--height', String(o.size[0]), '--width', String(o.size[1])], env);
    theirs = await peer.ask();
  }
  const [h, p] = [emptyTimes(), emptyTimes()];
  const ratios = emptyTimes();
  for (let i = 0; i < o.steps; i++) {
    process.stderr.write(`  repetition ${i + 1}/${o.steps}\n`);
    const hf = await hrdet.ask('forward');
    const pf = peer && (await peer.ask('forward'));
    const hs = await hrdet.ask('step');
    const ps = peer && (await peer.ask('step'));
    record(h, hf, hs);
    if (pf && ps) {
      record(p, pf, ps);
      for (const k of STAGES) ratios[k].push(h[k][i] / p[k][i]);
      // the peer has no assign / loss split: those ratios stay NaN and are left out
    }
  }
  process.stderr.write(`  ${o.memSteps} steps for the memory counts\n`);
  // the timings stand even when the longer memory run fails (a wasm heap that fills up)
  const memory = await hrdet.ask(`memory ${o.memSteps}`).catch((e: Error) => ({ error: e.message }));
  const peerMemory = peer && (await peer.ask(`memory ${o.memSteps}`));
  hrdet.quit();
  peer?.quit();
  return {
    model: spec.name,
    batch: o.batch,
    input: [o.batch, 3, ...o.size],
    backend: mine.backend,
    params: mine.params,
    hrdet_ms: medians(h),
    backward_over_forward: median(h.backward.map((b, i) => b / h.forward[i])),
    memory,
    ...(theirs
      ? {
          pytorch: { torch: theirs.torch, threads: theirs.threads, params: theirs.params, ms: medians(p), backward_over_forward: median(p.backward.map((b, i) => b / p.forward[i])), memory: peerMemory },
          hrdet_over_pytorch: medians(ratios),
        }
      : {}),
    times_ms: { hrdet: h, ...(theirs ? { pytorch: p } : {}) },
    loadavg_before: loadBefore,
    loadavg_after: os.loadavg(),
  };
}

/** A failure (such as running out of wasm memory) becomes a row saying so; the other models still run. */
async function benchOrRecord(spec: ModelSpec, backend: string, o: Parameters<typeof benchPair>[2]): Promise<Row> {
  try {
    return await benchPair(spec, backend, o);
  } catch (e) {
    return { model: spec.name, batch: o.batch, input: [o.batch, 3, ...o.size], backend, error: (e as Error).message.split('\n')[0] };
  }
}

const STAGE_NAMES: Record<(typeof STAGES)[number], string> = {
  forward: 'forward',
  assign: '  of which target assignment',
  loss: '  of which loss modules',
  backward: 'backward',
  forward_backward: 'forward+backward',
  update: 'update',
  step: 'step',
};

/** Markdown: per model and backend, each stage in ms for hrdet and PyTorch and their ratio, then the targets. */
function table(rows: Row[]): string {
  const ms = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(0));
  const lines = ['| model | backend | stage | hrdet ms | PyTorch ms | hrdet / PyTorch |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    const [h, p, q] = [r.hrdet_ms as Record<string, number>, (r.pytorch as Row | undefined)?.ms as Record<string, number> | undefined, r.hrdet_over_pytorch as Record<string, number> | undefined];
    for (const k of STAGES) {
      if (h[k] === undefined) continue;
      lines.push(`| ${r.model} ${(r.input as number[]).join('x')} | ${r.backend} | ${STAGE_NAMES[k]} | ${ms(h[k])} | ${ms(p?.[k])} | ${q?.[k] !== undefined ? q[k].toFixed(2) : '–'} |`);
    }
  }
  lines.push(
    '',
    '| model | backend | step: hrdet / PyTorch (target ≤ 3) | backward / forward: hrdet (target ≤ 2.5), PyTorch | target assignment / step (detectors, target ≤ 10%) | tfjs tensors before → after | RSS MB before → after: hrdet, PyTorch | wasm heap MB | load average (1 min) |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const r of rows) {
    const q = r.hrdet_over_pytorch as Record<string, number> | undefined;
    const pt = r.pytorch as { backward_over_forward: number; memory: { rss_mb_before: number; rss_mb_after: number } } | undefined;
    const m = r.memory as { before: { tensors: number; rss_mb: number }; after: { tensors: number; rss_mb: number; wasm_heap_mb?: number }; steps: number; error?: string };
    const bf = r.backward_over_forward as number;
    const step = q ? `${q.step.toFixed(2)} ${q.step <= 3 ? '(met)' : '(not met)'}` : '–';
    const hm = r.hrdet_ms as Record<string, number>;
    const share = hm.assign !== undefined && /R-CNN|FCOS/.test(r.model as string) ? hm.assign / hm.step : undefined;
    const assign = share === undefined ? '–' : `${(100 * share).toFixed(1)}% ${share <= 0.1 ? '(met)' : '(not met)'}`;
    const peerRss = pt ? `, ${pt.memory.rss_mb_before.toFixed(0)} → ${pt.memory.rss_mb_after.toFixed(0)}` : '';
    const load = `${(r.loadavg_before as number[])[0].toFixed(1)}–${(r.loadavg_after as number[])[0].toFixed(1)}`;
    lines.push(
      `| ${r.model} ${(r.input as number[]).join('x')} | ${r.backend} | ${step} | ${bf.toFixed(2)} ${bf <= 2.5 ? '(met)' : '(not met)'}${pt ? `, ${pt.backward_over_forward.toFixed(2)}` : ''} | ${assign} | ${m.error ? `failed: ${m.error}` : `${m.before.tensors} → ${m.after.tensors} (${m.steps} steps)`} | ${m.error ? '–' : `${m.before.rss_mb.toFixed(0)} → ${m.after.rss_mb.toFixed(0)}`}${peerRss} | ${m.after?.wasm_heap_mb?.toFixed(0) ?? '–'} | ${load} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

async function main() {
  const steps = Number(arg('--steps', '5'));
  const warmup = Number(arg('--warmup', '2'));
  const memSteps = Number(arg('--mem-steps', '10'));
  const served = arg('--serve', '');
  const batch = Number(arg('--batch', String(DEFAULT_BATCH)));
  if (served) return serve(served, arg('--backend', 'wasm'), warmup, batch, arg('--size', '').split('x').map(Number) as [number, number]);
  const backends = arg('--backends', 'wasm').split(',');
  const only = arg('--models', MODELS.map((m) => m.id).join(',')).split(',');
  const unknown = only.filter((id) => !MODELS.some((m) => m.id === id));
  if (unknown.length) throw new Error(`train-bench: unknown model ${unknown.join(', ')}: expected ${MODELS.map((m) => m.id).join(', ')}`);
  const peer = !process.argv.includes('--no-peer') && hasTorch();
  const peerThreads = Number(arg('--peer-threads', '2'));
  const rows: Row[] = [];
  const failed: Row[] = [];
  for (const spec of MODELS.filter((m) => only.includes(m.id))) {
    for (const b of backends) {
      process.stderr.write(`${spec.name}: hrdet on ${b}${peer ? ' and PyTorch, alternated' : ''} (${warmup} warm-up, ${steps} timed, ${memSteps} memory steps) ...\n`);
      const r = await benchOrRecord(spec, b, { steps, warmup, memSteps, peer, peerThreads, batch: spec.batch ?? batch, size: spec.size });
      const pt = r.pytorch as Row | undefined;
      if (pt && pt.params !== r.params) process.stderr.write(`warning: ${spec.name}: PyTorch has ${pt.params} parameters, hrdet ${r.params}\n`);
      (r.error ? failed : rows).push(r);
      // out of wasm memory (a 4 GiB heap): measure both sides at half the side length as well
      if (r.error && /Aborted|memory/i.test(r.error as string)) {
        const half: [number, number] = [spec.size[0] / 2, spec.size[1] / 2];
        process.stderr.write(`${spec.name}: failed on ${b} (${r.error}); again at ${half.join('x')}\n`);
        const r2 = await benchOrRecord(spec, b, { steps, warmup, memSteps, peer, peerThreads, batch: spec.batch ?? batch, size: half });
        (r2.error ? failed : rows).push(r2);
      }
    }
  }
  const md = table(rows) + failed.map((f) => `\n${f.model} at ${(f.input as number[]).join('x')} on ${f.backend}: failed: ${f.error}\n`).join('');
  process.stdout.write(md);
  const doc = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model },
    node: process.version,
    settings: { batch, steps, warmup, mem_steps: memSteps, optimizer: SGD.optimizer },
    skipped: backends.includes('cpu') ? [] : [{ backend: 'cpu', reason: 'not run by default: a batch-2 step of pose HRNet-W32 takes minutes on tfjs cpu (--backends wasm,cpu runs it)' }],
    peer: peer ? { python: PYTHON, threads: peerThreads, env: { OPENBLAS_CORETYPE: 'SkylakeX' } } : { skipped: 'no PyTorch (python3 -c "import torch" failed) or --no-peer' },
    rows,
    failed,
  };
  const out = path.resolve(arg('--out', path.join(ROOT, 'bench', 'results', 'train-bench')));
  writeAtomic(`${out}.json`, `${JSON.stringify(doc, null, 2)}\n`);
  writeAtomic(`${out}.md`, `# bench/train-bench (${doc.date}, steps ${steps}, warm-up ${warmup}, memory steps ${memSteps}, PyTorch threads ${peerThreads})\n\n${md}`);
  console.log(`wrote ${path.relative(process.cwd(), out)}.json and .md`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
