/**
 * Images per second the data loader delivers, for 0, 1 and 2 worker threads:
 *   det   mmdetection's training pipeline (configs/_base_/datasets/coco_detection: LoadImageFromFile,
 *         LoadAnnotations with_bbox, Resize (1333, 800) keep_ratio, RandomFlip 0.5, PackDetInputs)
 *         over synthetic COCO-like 640x480 JPEGs (so 1067x800 inputs), batch 2
 *   pose  mmpose's top-down training pipeline at 256x192 (the synthetic pose config's: LoadImage,
 *         GetBBoxCenterScale, RandomFlip, RandomHalfBody, RandomBBoxTransform, TopdownAffine,
 *         GenerateTarget MSRAHeatmap 64x48 sigma 2, PackPoseInputs) over 640x480 images, batch 16
 * A first pass warms up (worker start-up and the dataset build in each worker, timed to its first
 * batch); the rate is that of a second whole pass, with the (persistent) workers running. Each rate is compared with what a training step consumes:
 *   measured  hrdet's own step on this machine, from bench/results/train-bench.json (pose HRNet-W32
 *             256x192; for det the same step scaled by pixels — an estimate, said so in the output)
 *   assumed   a GPU step: --det-gpu-ips (default 10 images/s: a Faster R-CNN R50-FPN step of batch 2
 *             in 0.2 s) and --pose-gpu-ips (default 200 images/s: HRNet-W32 batch 64 in 0.32 s)
 * Target (issue 9): with 2 workers the loader delivers at least 3x what a step consumes.
 * On a shared machine the wall-clock rates say little about scaling; the process's CPU seconds
 * per wall second (all threads) and the images per CPU second are reported beside them.
 *
 *   node dist/bench/data-bench.js [--det-images 48] [--pose-images 40] [--workers 0,1,2]
 *       [--det-gpu-ips 10] [--pose-gpu-ips 200] [--out bench/results/data-bench]
 * Writes <out>.json and <out>.md.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeSyntheticDataset } from '../src/apis/make-dataset';
import { buildDataLoader } from '../src/data/loader';
import { withDefaultScope } from '../src/registry/registry';
import type { Progress } from '../src/registry/services';
import '../src/components';

const ROOT = path.join(__dirname, '..', '..');
const quiet: Progress = { start: () => ({ tick: () => undefined, stop: () => undefined }) };

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

interface Row {
  pipeline: 'det' | 'pose';
  workers: number;
  batch: number;
  samples: number;
  firstBatchMs: number;
  imagesPerSecond: number;
  /** Process CPU time (all threads) per wall-clock second of the timed pass. */
  cpuPerWall: number;
  inputShape: number[];
}

const DET_PIPELINE = [
  { type: 'LoadImageFromFile' },
  { type: 'LoadAnnotations', with_bbox: true },
  { type: 'Resize', scale: [1333, 800], keep_ratio: true },
  { type: 'RandomFlip', prob: 0.5 },
  { type: 'PackDetInputs' },
];

function detLoader(root: string, workers: number) {
  return buildDataLoader(
    {
      batch_size: 2,
      num_workers: workers,
      persistent_workers: workers > 0,
      sampler: { type: 'DefaultSampler', shuffle: true, seed: 0 },
      dataset: {
        type: 'CocoDataset',
        data_root: root,
        ann_file: 'annotations/instances_train.json',
        data_prefix: { img: 'train/' },
        metainfo: { classes: ['circle', 'ellipse', 'rectangle', 'triangle', 'star', 'cross'] },
        pipeline: DET_PIPELINE,
      },
    },
    { path: 'train_dataloader' },
  );
}

function poseLoader(root: string, workers: number) {
  const cfg = JSON.parse(fs.readFileSync(path.join(ROOT, 'configs/synthetic/td-hm_hrnet-w18-small_synthetic-256x192.json'), 'utf8'));
  const ds = { ...cfg.train_dataloader.dataset, data_root: root };
  return withDefaultScope('mmpose', () =>
    buildDataLoader({ batch_size: 16, num_workers: workers, persistent_workers: workers > 0, sampler: { type: 'DefaultSampler', shuffle: true, seed: 0 }, dataset: ds }, { path: 'train_dataloader' }),
  );
}

/**
 * Epoch 0 warms up (worker start-up and each worker's dataset build, timed to its first batch,
 * and the JIT); epoch 1 is timed whole, first batch to last, the workers already running.
 */
async function measure(pipeline: Row['pipeline'], loader: ReturnType<typeof detLoader>, workers: number): Promise<Row> {
  const t0 = performance.now();
  let firstBatchMs = 0;
  let shape: number[] = [];
  loader.setEpoch(0);
  for await (const b of loader) {
    if (!firstBatchMs) {
      firstBatchMs = Math.round(performance.now() - t0);
      shape = [...b.inputs[0].shape];
    }
  }
  loader.setEpoch(1);
  let samples = 0;
  const t1 = performance.now();
  const cpu0 = process.cpuUsage();
  for await (const b of loader) samples += b.inputs.length;
  const seconds = (performance.now() - t1) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await loader.close();
  // CPU seconds of the whole process (every thread) per wall second: above 1 when the workers run side by side
  const cpuPerWall = +((cpu.user + cpu.system) / 1e6 / seconds).toFixed(2);
  return { pipeline, workers, batch: loader.batchSize, samples, firstBatchMs, imagesPerSecond: +(samples / seconds).toFixed(2), cpuPerWall, inputShape: shape };
}

/** hrdet's measured training step (images/s) from the train bench, if it has been run here. */
function measuredStep(): { poseIps: number; note: string } | null {
  const f = path.join(ROOT, 'bench/results/train-bench.json');
  if (!fs.existsSync(f)) return null;
  const j = JSON.parse(fs.readFileSync(f, 'utf8')) as { rows?: { model: string; batch: number; backend: string; hrdet_ms?: { step?: number } }[] };
  const row = (j.rows ?? []).find((r) => /^pose/.test(r.model) && r.hrdet_ms?.step);
  if (!row) return null;
  const ms = row.hrdet_ms!.step!;
  return { poseIps: (row.batch * 1000) / ms, note: `${row.model} on ${row.backend}: ${Math.round(ms)} ms per step of ${row.batch}, bench/results/train-bench.json` };
}

async function main(): Promise<void> {
  const workers = arg('workers', '0,1,2').split(',').map(Number);
  const detImages = Number(arg('det-images', '48'));
  const poseImages = Number(arg('pose-images', '40'));
  const detGpu = Number(arg('det-gpu-ips', '10'));
  const poseGpu = Number(arg('pose-gpu-ips', '200'));
  const out = arg('out', path.join(ROOT, 'bench/results/data-bench'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hrdet-data-bench-'));
  try {
    process.stderr.write(`writing ${detImages} det and ${poseImages} pose images (640x480) to ${tmp}\n`);
    await makeSyntheticDataset({ task: 'det', out: path.join(tmp, 'det'), train: detImages, val: 0, seed: 1, size: [480, 640], progress: quiet });
    await makeSyntheticDataset({ task: 'pose', out: path.join(tmp, 'pose'), train: poseImages, val: 0, seed: 1, size: [480, 640], progress: quiet });
    const rows: Row[] = [];
    for (const w of workers) {
      rows.push(await measure('det', detLoader(path.join(tmp, 'det'), w), w));
      process.stderr.write(`det  ${w} workers: ${rows[rows.length - 1].imagesPerSecond} images/s\n`);
    }
    for (const w of workers) {
      rows.push(await measure('pose', poseLoader(path.join(tmp, 'pose'), w), w));
      process.stderr.write(`pose ${w} workers: ${rows[rows.length - 1].imagesPerSecond} samples/s\n`);
    }
    const step = measuredStep();
    // the det step on this machine: the pose step scaled by input pixels (1067x800 vs 256x192), an estimate
    const detPix = rows.find((r) => r.pipeline === 'det')!.inputShape.slice(1).reduce((a, b) => a * b, 1);
    const consumption = {
      det: { gpuAssumed: detGpu, cpuEstimated: step ? +(step.poseIps * ((256 * 192) / detPix)).toFixed(4) : null },
      pose: { gpuAssumed: poseGpu, cpuMeasured: step ? +step.poseIps.toFixed(4) : null },
    };
    const report = {
      date: new Date().toISOString(),
      machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
      loadAverage: os.loadavg().map((v) => +v.toFixed(2)),
      rows,
      consumption,
      stepSource: step?.note ?? 'bench/results/train-bench.json not found',
    };
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(`${out}.json`, `${JSON.stringify(report, null, 2)}\n`);
    fs.writeFileSync(`${out}.md`, markdown(report));
    process.stdout.write(markdown(report));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function markdown(r: { date: string; machine: string; loadAverage: number[]; rows: Row[]; consumption: Record<'det' | 'pose', Record<string, number | null>>; stepSource: string }): string {
  const lines = [
    `# bench/data-bench (${r.date})`,
    '',
    `${r.machine}; load average ${r.loadAverage.join(' / ')}`,
    '',
    '| pipeline | workers | batch | input (C, H, W) of the first batch | start-up: first batch ms | samples in the timed pass | images/s | CPU s per wall s | images per CPU s | vs GPU step (assumed) | vs hrdet step here |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of r.rows) {
    const c = r.consumption[row.pipeline];
    const gpu = c.gpuAssumed as number;
    const cpu = (c.cpuMeasured ?? c.cpuEstimated) as number | null;
    const ratio = (ips: number | null) => (ips ? `${(row.imagesPerSecond / ips).toFixed(2)}x${row.workers === 2 ? (row.imagesPerSecond / ips >= 3 ? ' (met)' : ' (not met)') : ''}` : 'n/a');
    lines.push(`| ${row.pipeline} | ${row.workers} | ${row.batch} | ${row.inputShape.join('x')} | ${row.firstBatchMs} | ${row.samples} | ${row.imagesPerSecond} | ${row.cpuPerWall} | ${row.cpuPerWall ? (row.imagesPerSecond / row.cpuPerWall).toFixed(1) : 'n/a'} | ${ratio(gpu)} | ${ratio(cpu)} |`);
  }
  lines.push(
    '',
    `Consumption: det ${r.consumption.det.gpuAssumed} images/s assumed for a GPU step (Faster R-CNN R50-FPN, batch 2 in 0.2 s), ` +
      `${r.consumption.det.cpuEstimated ?? 'n/a'} images/s estimated for hrdet's step here (the measured pose step scaled by input pixels); ` +
      `pose ${r.consumption.pose.gpuAssumed} images/s assumed for a GPU step (HRNet-W32 batch 64 in 0.32 s), ` +
      `${r.consumption.pose.cpuMeasured ?? 'n/a'} images/s measured for hrdet's step here (${r.stepSource}). Target: 2 workers >= 3x.`,
    '',
  );
  return lines.join('\n');
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
