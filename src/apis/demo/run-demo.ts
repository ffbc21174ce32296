import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Container } from 'inversify';
import { UserError } from '../../core/errors';
import { PACKAGE_ROOT } from '../../config/module-loader';
import { SERVICES, type Progress } from '../../registry/services';
import { FeatureModel } from '../../models/feature-model';
import { BackboneNeck } from '../benchmark/backbone-neck';
import { loadAverage } from '../benchmark/machine';
import { configKey } from '../benchmark/published-figures';
import type { BenchmarkRow } from '../benchmark/results';
import { runBenchmark, type BenchmarkEvent } from '../benchmark/run-benchmark';
import { buildModel } from '../build-model';
import { exportOnnx, hrdetVersion } from '../export';
import { loadWeights } from '../load-weights';
import { makeSyntheticDataset } from '../make-dataset';
import { test } from '../test';
import { train } from '../train';
import { demoConfig, FULL_BUDGET, QUICK_BUDGET, type DemoBudget } from './demo-budget';
import { DemoState, STATE_FILE, type StepRecord } from './demo-state';

/** The two detectors the demo compares: the same Faster R-CNN, HRNetV2p against ResNet-FPN. */
export const DEMO_MODELS = [
  { key: 'hrnet', name: 'Faster R-CNN HRNetV2p-W18-small', config: 'configs/synthetic/faster-rcnn_hrnetv2p-w18-small_synthetic.json' },
  { key: 'r18', name: 'Faster R-CNN R-18-FPN', config: 'configs/synthetic/faster-rcnn_r18_fpn_synthetic.json' },
] as const;

type DemoModel = (typeof DEMO_MODELS)[number];

/** Folders of the work dir that the demo owns (removed when a run with other settings starts over). */
const OWNED = ['configs', 'work', 'onnx', 'report'];

export type DemoEvent =
  | { kind: 'start'; index: number; total: number; step: string; title: string }
  | { kind: 'reused'; index: number; total: number; step: string; title: string; seconds: number }
  | { kind: 'done'; index: number; total: number; step: string; title: string; seconds: number; cpuSeconds: number; load: [number, number] }
  | { kind: 'note'; text: string }
  | { kind: 'benchmark'; event: BenchmarkEvent };

export interface DemoOptions {
  workDir?: string;
  quick?: boolean;
  /** The budget itself (tests); default FULL_BUDGET, or QUICK_BUDGET with `quick`. */
  budget?: DemoBudget;
  onProgress?: (e: DemoEvent) => void;
  /** Logger and progress bars of training and testing (default: the default container's). */
  container?: Container;
}

/** One model's line of the summary. */
export interface DemoModelSummary {
  key: string;
  name: string;
  config: string;
  /** COCO box AP and AP50 on the synthetic val split, in percent. */
  ap: number | null;
  ap50: number | null;
  params: number;
  gmacs: number;
  tfjs_ms: number | null;
  onnx_ms: number | null;
  /** What the onnx row ran: `onnx` (whole model) or `onnx (backbone+neck)`. */
  onnx_engine: string | null;
  /** What the export step wrote: the whole model, or its backbone + neck. */
  exported: string;
}

export interface DemoOutcome {
  workDir: string;
  budget: DemoBudget;
  report: { html: string; md: string; results: string };
  models: DemoModelSummary[];
  steps: { step: string; title: string; seconds: number; reused: boolean }[];
  /** Load average (1, 5, 15 min) when this run started and ended. */
  load: { start: number[]; end: number[] };
}

interface Step {
  id: string;
  title: string;
  run: () => Promise<{ outputs: string[]; result?: Record<string, unknown> }>;
}

/**
 * `hrdet demo`: the synthetic shapes set, Faster R-CNN trained on HRNetV2p-W18-small and on
 * R-18-FPN with the same budget, both evaluated (COCO box AP, `hrdet test`), exported to ONNX
 * and benchmarked on tfjs and onnxruntime, with the report. Every step's outputs go under the
 * work dir and each finished step is recorded in its state file: a second run reuses the
 * steps whose outputs are all still there and redoes the rest (an interrupted training
 * resumes from its last checkpoint).
 */
export async function runDemo(o: DemoOptions = {}): Promise<DemoOutcome> {
  const budget = o.budget ?? (o.quick ? QUICK_BUDGET : FULL_BUDGET);
  const workDir = path.resolve(o.workDir ?? 'work_dirs/demo');
  const progress = o.onProgress ?? (() => {});
  if (existsSync(workDir) && !statSync(workDir).isDirectory()) throw new UserError(`--work-dir ${workDir}: not a folder`);
  mkdirSync(workDir, { recursive: true });
  const state = DemoState.open(workDir, { budget, hrdet_version: hrdetVersion() });
  if (state.replacedSettings) {
    const before = (state.replacedSettings.budget as { name?: string } | undefined)?.name ?? 'other';
    progress({ kind: 'note', text: `${path.join(workDir, STATE_FILE)} was made with other settings (${before} budget): starting over` });
    for (const d of OWNED) rmSync(path.join(workDir, d), { recursive: true, force: true });
  }
  const start = loadAverage();
  const rel = (f: string) => path.relative(workDir, f);
  const abs = (f: string) => path.join(workDir, f);
  const dataRoot = abs('data');
  const configFile = (m: DemoModel) => abs(`configs/${configKey(m.config)}.json`);
  const result = <T>(step: string, key: string): T => state.steps[step]?.result?.[key] as T;

  const steps: Step[] = [
    {
      id: 'dataset',
      title: `synthetic shapes set: ${budget.trainImages} train + ${budget.valImages} val images of ${budget.imageSize}x${budget.imageSize}`,
      run: async () => {
        const r = await makeSyntheticDataset({ task: 'det', out: dataRoot, train: budget.trainImages, val: budget.valImages, size: [budget.imageSize, budget.imageSize], progress: o.container?.get<Progress>(SERVICES.Progress) });
        if (r.upToDate) progress({ kind: 'note', text: `${dataRoot} already holds this set` });
        return { outputs: ['data/synthetic.json', 'data/annotations/instances_train.json', 'data/annotations/instances_val.json', 'data/train', 'data/val'] };
      },
    },
    ...DEMO_MODELS.map(
      (m): Step => ({
        id: `train-${m.key}`,
        title: `train ${m.name}: ${budget.iterations} iterations of ${budget.batchSize} images`,
        run: async () => {
          const file = configFile(m);
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, `${JSON.stringify(demoConfig(path.join(PACKAGE_ROOT, m.config), dataRoot, budget), null, 2)}\n`);
          const runDir = abs(`work/${m.key}`);
          const resume = existsSync(path.join(runDir, 'last_checkpoint'));
          if (resume) progress({ kind: 'note', text: `resuming from ${path.join(runDir, 'last_checkpoint')}` });
          await train(file, { workDir: runDir, resume, container: o.container });
          const checkpoint = readFileSync(path.join(runDir, 'last_checkpoint'), 'utf8').trim();
          return { outputs: [rel(file), rel(checkpoint)], result: { checkpoint: rel(checkpoint) } };
        },
      }),
    ),
    ...DEMO_MODELS.map(
      (m): Step => ({
        id: `test-${m.key}`,
        title: `evaluate ${m.name} on the ${budget.valImages} val images (COCO box AP)`,
        run: async () => {
          const checkpoint = abs(result<string>(`train-${m.key}`, 'checkpoint'));
          const r = await test(configFile(m), checkpoint, { workDir: abs(`work/${m.key}`), container: o.container });
          const metrics = Object.fromEntries(Object.entries(r.metrics).filter(([, v]) => typeof v === 'number'));
          progress({ kind: 'note', text: `${m.name}: bbox mAP ${fmt(metrics['coco/bbox_mAP'])}, mAP_50 ${fmt(metrics['coco/bbox_mAP_50'])}` });
          return { outputs: [rel(r.metricsFile)], result: { metrics } };
        },
      }),
    ),
    ...DEMO_MODELS.map(
      (m): Step => ({
        id: `export-${m.key}`,
        title: `export ${m.name} to ONNX`,
        run: async () => exportStep(m, configFile(m), abs(result<string>(`train-${m.key}`, 'checkpoint')), abs(`onnx/${m.key}.onnx`), budget, o.container, progress, rel),
      }),
    ),
    {
      id: 'benchmark',
      title: `benchmark both on tfjs and onnxruntime (${budget.benchmarkWarmup} warm-up + ${budget.benchmarkIters} timed runs each) and write the report`,
      run: async () => {
        const configs = DEMO_MODELS.map(configFile);
        const metrics = new Map(DEMO_MODELS.map((m) => [configFile(m), result<Record<string, number>>(`test-${m.key}`, 'metrics')]));
        const outDir = abs('report');
        const { results, files } = await runBenchmark({
          configs,
          command: `hrdet demo${budget.name === 'quick' ? ' --quick' : ''} --work-dir ${workDir}`,
          checkpoints: Object.fromEntries(DEMO_MODELS.map((m) => [configFile(m), abs(result<string>(`train-${m.key}`, 'checkpoint'))])),
          dataset: dataRoot,
          engines: ['tfjs', 'onnx'],
          batches: [1],
          iters: budget.benchmarkIters,
          warmup: budget.benchmarkWarmup,
          outDir,
          // the metrics of the evaluation step: the same numbers, not a second evaluation
          evaluate: async ({ config }) => metrics.get(config) ?? {},
          onProgress: (event) => progress({ kind: 'benchmark', event }),
        });
        if (results.rows.length === 0) throw new UserError(`the benchmark finished no row (see ${path.join(outDir, 'results.json')})`);
        return { outputs: files.map(rel), result: { rows: summaryRows(results.rows) } };
      },
    },
  ];

  const done: DemoOutcome['steps'] = [];
  for (const [i, s] of steps.entries()) {
    const head = { index: i + 1, total: steps.length, step: s.id, title: s.title };
    const found = state.finished(s.id);
    if (found) {
      progress({ kind: 'reused', ...head, seconds: found.seconds });
      done.push({ step: s.id, title: s.title, seconds: found.seconds, reused: true });
      continue;
    }
    progress({ kind: 'start', ...head });
    const t0 = Date.now();
    const cpu0 = process.cpuUsage();
    const load0 = loadAverage()[0];
    const r = await s.run();
    const seconds = Math.round((Date.now() - t0) / 100) / 10;
    const cpu = process.cpuUsage(cpu0);
    const record: StepRecord = {
      outputs: r.outputs,
      seconds,
      cpu_seconds: Math.round((cpu.user + cpu.system) / 1e5) / 10,
      finished: new Date().toISOString(),
      load: [load0, loadAverage()[0]],
      ...(r.result ? { result: r.result } : {}),
    };
    await state.record(s.id, record);
    progress({ kind: 'done', ...head, seconds, cpuSeconds: record.cpu_seconds ?? 0, load: record.load });
    done.push({ step: s.id, title: s.title, seconds, reused: false });
  }
  return {
    workDir,
    budget,
    report: { html: abs('report/report.html'), md: abs('report/report.md'), results: abs('report/results.json') },
    models: DEMO_MODELS.map((m) => modelSummary(m, configFile(m), state.steps)),
    steps: done,
    load: { start, end: loadAverage() },
  };
}

/**
 * The export step. Through the export API (traced, optimised, checked against the tfjs forward
 * in onnxruntime, written atomically); a detector that does not export whole yet exports its
 * backbone + neck, as the benchmark's onnx rows run it, and the step records which.
 */
async function exportStep(
  m: DemoModel,
  config: string,
  checkpoint: string,
  out: string,
  budget: DemoBudget,
  container: Container | undefined,
  progress: (e: DemoEvent) => void,
  rel: (f: string) => string,
): Promise<{ outputs: string[]; result: Record<string, unknown> }> {
  const { model, config: merged } = await buildModel(config, { initWeights: false, container });
  await loadWeights(model, checkpoint);
  model.eval();
  let target = model;
  let exported = 'whole model';
  if (!model.exportable) {
    if (!(model instanceof FeatureModel)) throw new UserError(`${model.typeName} does not export to ONNX and has no backbone + neck to export instead`);
    target = new BackboneNeck(model);
    exported = 'backbone+neck';
    progress({ kind: 'note', text: `${model.typeName} does not export to ONNX as a whole yet: exporting its backbone + neck` });
  }
  mkdirSync(path.dirname(out), { recursive: true });
  const r = await exportOnnx(target, { shape: [3, budget.imageSize, budget.imageSize], out, config: merged, metadata: { exported_part: exported } });
  const worst = r.verification ? Math.max(...r.verification.runs.flatMap((v) => v.outputs.map((c) => c.maxError))) : NaN;
  progress({ kind: 'note', text: `${m.name}: wrote ${out} (${exported}, ${(r.bytes.length / 2 ** 20).toFixed(1)} MiB; onnxruntime matches tfjs within ${worst.toExponential(1)})` });
  return { outputs: [rel(out)], result: { exported, file: rel(out), mib: r.bytes.length / 2 ** 20 } };
}

/** What the summary keeps of each benchmark row. */
function summaryRows(rows: BenchmarkRow[]): Record<string, unknown>[] {
  return rows.map((r) => ({ config: path.basename(r.config), engine: r.engine, params: r.params, gmacs: r.gmacs, median_ms: r.latency_ms.median }));
}

function modelSummary(m: DemoModel, config: string, steps: Readonly<Record<string, StepRecord>>): DemoModelSummary {
  const metrics = (steps[`test-${m.key}`]?.result?.metrics ?? {}) as Record<string, number>;
  const rows = ((steps.benchmark?.result?.rows ?? []) as { config: string; engine: string; params: number; gmacs: number; median_ms: number }[]).filter((r) => r.config === path.basename(config));
  const tfjs = rows.find((r) => r.engine === 'tfjs');
  const onnx = rows.find((r) => r.engine.startsWith('onnx'));
  const pct = (v: unknown) => (typeof v === 'number' && v >= 0 ? 100 * v : null);
  return {
    key: m.key,
    name: m.name,
    config: m.config,
    ap: pct(metrics['coco/bbox_mAP']),
    ap50: pct(metrics['coco/bbox_mAP_50']),
    params: tfjs?.params ?? NaN,
    gmacs: tfjs?.gmacs ?? NaN,
    tfjs_ms: tfjs?.median_ms ?? null,
    onnx_ms: onnx?.median_ms ?? null,
    onnx_engine: onnx?.engine ?? null,
    exported: String(steps[`export-${m.key}`]?.result?.exported ?? '-'),
  };
}

function fmt(v: unknown): string {
  return typeof v === 'number' ? v.toFixed(3) : '-';
}
