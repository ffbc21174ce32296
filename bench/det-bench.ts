/**
 * Faster R-CNN end to end at 800x1216, batch 1: HRNetV2p-W18 (HRFPN) and ResNet-50-FPN on the
 * eager tfjs engine and on onnxruntime (hrdet's export), against onnxruntime on torchvision's
 * exported Faster R-CNN R-50-FPN of the same shape (bench/torchvision_faster_rcnn.py, random
 * weights, made in the same run where /usr/bin/python3 has torchvision).
 *
 * Rows, alternated run by run so that every row sees the same machine load:
 *   <model> tfjs                 `predict` (backbone, neck, RPN, RoI heads, decoding, NMS) with
 *                                the stage split of StageTimer
 *   <model> onnx                 the whole exported test path, and after each run the export
 *                                of the backbone and neck alone (stage 'backbone+neck')
 *   torchvision onnx / torchvision onnx backbone+fpn
 * Ratios reported (issue targets in brackets):
 *   hrdet R-50-FPN onnx / torchvision onnx                            [<= 1.0]
 *   heads + post-processing share of the onnx end-to-end time        [<= 15%; torchvision 43%]
 *   tfjs end to end / tfjs backbone + neck of the same runs           [<= 1.3]
 * torchvision's graph also holds its transform (normalisation and a resize at scale 1); hrdet's
 * starts after normalisation, as `hrdet export` writes it.
 *
 *   node dist/bench/det-bench.js [--iters 5] [--warmup 1] [--threads 2] [--no-peer]
 *       [--configs a.json,b.json] [--out bench/results/det-bench]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildModel } from '../src/apis/build-model';
import { BackboneNeck } from '../src/apis/benchmark/backbone-neck';
import { OnnxRunner, TfjsRunner, type EngineRunner } from '../src/apis/benchmark/engine-runners';
import { loadAverage, machineInfo } from '../src/apis/benchmark/machine';
import { latencyStats, medianStages } from '../src/apis/benchmark/statistics';
import { initBackend } from '../src/engines/tfjs/backend';
import { FeatureModel } from '../src/models/feature-model';

const ROOT = path.join(__dirname, '..', '..');
const PYTHON = process.env.HRDET_PYTHON ?? '/usr/bin/python3';
const SHAPE = [1, 3, 800, 1216];
const CONFIGS = ['configs/hrnet/faster-rcnn_hrnetv2p-w18-1x_coco.json', 'configs/faster_rcnn/faster-rcnn_r50_fpn_1x_coco.json'];

interface Args {
  iters: number;
  warmup: number;
  threads: number;
  peer: boolean;
  configs: string[];
  out: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { iters: 5, warmup: 1, threads: 2, peer: true, configs: CONFIGS, out: path.join(ROOT, 'bench/results/det-bench') };
  for (let i = 0; i < argv.length; i++) {
    const next = () => argv[++i];
    switch (argv[i]) {
      case '--iters': a.iters = Number(next()); break;
      case '--warmup': a.warmup = Number(next()); break;
      case '--threads': a.threads = Number(next()); break;
      case '--no-peer': a.peer = false; break;
      case '--configs': a.configs = next().split(','); break;
      case '--out': a.out = path.resolve(next()); break;
      default: throw new Error(`det-bench: unknown argument ${argv[i]}`);
    }
  }
  return a;
}

interface Row {
  name: string;
  runner: EngineRunner;
  ms: number[];
  stages: Record<string, number>[];
}

/** torchvision's two exports on onnxruntime, as runners; null (with the reason printed) where Python lacks torchvision. */
async function peerRows(threads: number): Promise<Row[]> {
  const dir = path.join(os.tmpdir(), 'hrdet-det-bench-torchvision');
  const full = path.join(dir, 'faster_rcnn_r50_fpn.onnx');
  const body = path.join(dir, 'backbone_fpn.onnx');
  if (!fs.existsSync(full) || !fs.existsSync(body)) {
    console.log('exporting torchvision Faster R-CNN R-50-FPN (random weights) ...');
    const r = spawnSync(PYTHON, [path.join(ROOT, 'bench/torchvision_faster_rcnn.py'), 'export', '--out-dir', dir], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.log(`no torchvision peer: ${PYTHON} failed (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`);
      return [];
    }
  }
  const make = async (file: string, dims: number[]): Promise<EngineRunner> => {
    const session = await ort.InferenceSession.create(file, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    const data = Float32Array.from({ length: dims.reduce((p, d) => p * d, 1) }, (_, i) => ((i * 2654435761) % 1000) / 1000);
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };
    return {
      async run() {
        const t0 = performance.now();
        await session.run(feeds);
        return { ms: performance.now() - t0, stages: {} };
      },
      async dispose() {
        await session.release();
      },
    };
  };
  return [
    { name: 'torchvision R-50-FPN onnx', runner: await make(full, SHAPE.slice(1)), ms: [], stages: [] },
    { name: 'torchvision R-50-FPN onnx backbone+fpn', runner: await make(body, SHAPE), ms: [], stages: [] },
  ];
}

async function hrdetRows(config: string, threads: number): Promise<Row[]> {
  const { model } = await buildModel(path.join(ROOT, config));
  if (!(model instanceof FeatureModel)) throw new Error(`${config}: not a detector with a backbone`);
  const label = path.basename(config, '.json');
  const rows: Row[] = [{ name: `${label} tfjs`, runner: new TfjsRunner(model, SHAPE, 0), ms: [], stages: [] }];
  const opts = { provider: 'cpu' as const, intraOpThreads: threads };
  // OnnxRunner times a detector's backbone + neck graph right after each whole run (stage 'backbone+neck')
  if (model.exportable) rows.push({ name: `${label} onnx`, runner: await OnnxRunner.create(model, SHAPE, 0, opts), ms: [], stages: [] });
  else {
    console.log(`${label}: ${model.typeName} does not export whole; only its backbone + neck runs on onnxruntime`);
    rows.push({ name: `${label} onnx backbone+neck`, runner: await OnnxRunner.create(new BackboneNeck(model), SHAPE, 0, opts), ms: [], stages: [] });
  }
  return rows;
}

const median = (xs: readonly number[]) => latencyStats(xs).median;
const find = (rows: Row[], name: string) => rows.find((r) => r.name === name);

/** The issue's three ratios, from the rows' medians (null where a row is missing). */
function ratios(rows: Row[]) {
  const out: Record<string, number | null> = {};
  const tv = find(rows, 'torchvision R-50-FPN onnx');
  const tvBody = find(rows, 'torchvision R-50-FPN onnx backbone+fpn');
  if (tv && tvBody) out['torchvision heads+post share'] = 1 - median(tvBody.ms) / median(tv.ms);
  for (const r of rows.filter((x) => x.name.endsWith(' onnx'))) {
    const label = r.name.slice(0, -' onnx'.length);
    const body = medianStages(r.stages)['backbone+neck'];
    if (body !== undefined) out[`${label} onnx heads+post share`] = 1 - body / median(r.ms);
    if (tv && label.includes('r50')) out[`${label} onnx / torchvision onnx`] = median(r.ms) / median(tv.ms);
  }
  for (const r of rows.filter((x) => x.name.endsWith(' tfjs'))) {
    const s = medianStages(r.stages);
    out[`${r.name} end-to-end / own backbone+neck`] = median(r.ms) / ((s.backbone ?? NaN) + (s.neck ?? NaN));
  }
  return out;
}

function markdown(result: { machine: unknown; rows: { name: string; latency_ms: ReturnType<typeof latencyStats>; stages_ms: Record<string, number> }[]; ratios: Record<string, number | null> }): string {
  const fmt = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '' : v.toFixed(0));
  const lines = [
    '# det-bench: Faster R-CNN end to end, 3x800x1216, batch 1',
    '',
    '```json',
    JSON.stringify(result.machine),
    '```',
    '',
    '| row | median ms | p90 | min | backbone | neck | backbone+neck (onnx, own run) | heads | post |',
    '|---|---|---|---|---|---|---|---|---|',
    ...result.rows.map((r) => `| ${r.name} | ${fmt(r.latency_ms.median)} | ${fmt(r.latency_ms.p90)} | ${fmt(r.latency_ms.min)} | ${fmt(r.stages_ms.backbone)} | ${fmt(r.stages_ms.neck)} | ${fmt(r.stages_ms['backbone+neck'])} | ${fmt(r.stages_ms.heads)} | ${fmt(r.stages_ms.post_processing)} |`),
    '',
    '| ratio | value |',
    '|---|---|',
    ...Object.entries(result.ratios).map(([k, v]) => `| ${k} | ${v === null ? '' : v.toFixed(3)} |`),
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const backend = await initBackend();
  const machine = { ...machineInfo(), backend: `tfjs ${backend.name} (${backend.threads ?? 1} threads, kernels ${backend.kernels?.name ?? 'default'}), onnxruntime cpu ${args.threads} threads` };
  const rows: Row[] = [];
  for (const c of args.configs) rows.push(...(await hrdetRows(c, args.threads)));
  if (args.peer) rows.push(...(await peerRows(args.threads)));
  for (let it = 0; it < args.warmup + args.iters; it++) {
    for (const r of rows) {
      const run = await r.runner.run();
      if (it >= args.warmup) (r.ms.push(run.ms), r.stages.push(run.stages));
      console.log(`${it < args.warmup ? 'warm-up' : `run ${it - args.warmup + 1}/${args.iters}`}  ${r.name}: ${run.ms.toFixed(0)} ms`);
    }
  }
  for (const r of rows) await r.runner.dispose();
  machine.load_average.end = loadAverage();
  const result = {
    machine,
    settings: { shape: SHAPE, iters: args.iters, warmup: args.warmup, onnxruntime_threads: args.threads },
    rows: rows.map((r) => ({ name: r.name, latency_ms: latencyStats(r.ms), stages_ms: medianStages(r.stages) })),
    ratios: ratios(rows),
  };
  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  fs.writeFileSync(`${args.out}.json`, `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(`${args.out}.md`, markdown(result));
  console.log(markdown(result));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
