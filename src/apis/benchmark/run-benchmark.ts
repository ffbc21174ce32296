import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { UserError } from '../../core/errors';
import { initBackend, type BackendReport } from '../../engines/tfjs/backend';
import { writeFileAtomic } from '../../io/atomic-write';
import type { BaseModel } from '../../models/base-model';
import { FeatureModel } from '../../models/feature-model';
import type { ProviderRequest } from '../../runtime/execution-providers';
import { buildModel } from '../build-model';
import { hrdetVersion } from '../export';
import { loadWeights } from '../load-weights';
import { BackboneNeck } from './backbone-neck';
import { backboneNeckComplexity, modelComplexity, type Complexity } from './complexity';
import { OnnxRunner, restoreStageTimers, TfjsRunner, type EngineRun, type EngineRunner } from './engine-runners';
import { loadAverage, machineInfo, PeakMemory, type MachineInfo } from './machine';
import { configKey, publishedFigures, publishedSources } from './published-figures';
import { writeReports } from './write-reports';
import type { BenchmarkResults, BenchmarkRow, BenchmarkSettings, SkippedRow } from './results';
import { latencyStats, medianStages } from './statistics';

export type EngineName = 'tfjs' | 'onnx';
export const ENGINES: readonly EngineName[] = ['tfjs', 'onnx'];

/**
 * The accuracy hook: metrics of a checkpoint on a dataset (what `hrdet test` computes). The
 * benchmark calls it once per config when both are given; without one the rows' `metrics` stay
 * empty and the report says that accuracy was not measured.
 */
export type EvaluateFn = (args: { config: string; model: BaseModel; checkpoint: string; dataset: string }) => Promise<Record<string, number>>;

export type BenchmarkEvent =
  | { kind: 'prepare'; what: string }
  | { kind: 'run'; label: string; phase: 'warmup' | 'timed'; index: number; total: number; ms: number }
  | { kind: 'row'; row: BenchmarkRow; done: number; total: number }
  | { kind: 'skip'; skipped: SkippedRow }
  | { kind: 'note'; text: string };

export interface BenchmarkOptions {
  configs: string[];
  /** Written into results.json and the report as the command that produced them. */
  command?: string;
  preset?: string;
  /** Weights per config (the config path as given, or its file name without extension). */
  checkpoints?: Record<string, string>;
  dataset?: string;
  engines?: EngineName[];
  provider?: ProviderRequest;
  /** [C, H, W] for every config (default: each config's input_shape, else C,224,224). */
  shape?: number[];
  batches?: number[];
  iters?: number;
  warmup?: number;
  /** RoIs per image the RoI box head is counted for (default: test_cfg.rpn.max_per_img). */
  rois?: number;
  /** onnxruntime intra-op threads (default: one per logical CPU). */
  threads?: number;
  /** tfjs backend (default: the first that works). */
  backend?: string;
  /** tfjs kernel set for convolutions and matrix products ('ort' | 'wasm'; default as initBackend picks). */
  kernels?: string;
  cfgOptions?: string[];
  plugins?: string[];
  seed?: number;
  outDir: string;
  signal?: AbortSignal;
  onProgress?: (e: BenchmarkEvent) => void;
  evaluate?: EvaluateFn;
}

export interface BenchmarkOutcome {
  results: BenchmarkResults;
  files: string[];
}

/** One model on one engine: what it runs, its counts, and a runner per batch size. */
interface Subject {
  config: string;
  name: string;
  modelType: string;
  engine: string;
  /** What runs (the model, or its backbone + neck). */
  model: BaseModel;
  complexity: Complexity;
  chw: number[];
  metrics: Record<string, number>;
  notes: string[];
}

export const TIMING_NOTE =
  'Models alternate run by run within each batch size and engine (one process, same load for all), after warm-up runs of each; ' +
  'latency is wall time of one batch: median, 90th percentile and minimum over the timed runs. ' +
  'tfjs rows run the predict path (detectors: backbone, neck, heads, decoding and NMS, results read to the host; others: tensor mode); ' +
  'onnx rows run the exported graph (raw outputs, no detector post-processing) from host input to host outputs.';

export const MEMORY_NOTE =
  "Peak memory is the process's resident set high-water mark during the row's runs (Linux VmHWM, reset before each run); " +
  'it includes every model loaded in the process, tfjs wasm heap and onnxruntime arenas, so compare it with rss_before_mb.';

/**
 * `hrdet benchmark`: params and MACs (`hrdet analyze`'s counts) beside latency, throughput,
 * peak memory and (tfjs) the stage split of each config on each engine and batch size, with
 * the machine, load and threads recorded. results.json is rewritten atomically as rows finish,
 * so an interrupted run (signal) keeps them; report.md, report.html and the chart PNGs are
 * written at the end (also when interrupted).
 */
export async function runBenchmark(opts: BenchmarkOptions): Promise<BenchmarkOutcome> {
  const o = normalise(opts);
  const progress = opts.onProgress ?? (() => {});
  await mkdir(o.outDir, { recursive: true });
  const machine = machineInfo();
  const backend = o.engines.includes('tfjs') ? await initBackend(o.backend, o.kernels ? { kernels: o.kernels } : {}) : null;
  const skipped: SkippedRow[] = [];
  const subjects: Subject[] = [];
  const shapes: Record<string, number[]> = {};
  const weights: Record<string, string> = {};
  const notes: string[] = [];
  for (const config of o.configs) {
    if (opts.signal?.aborted) break;
    progress({ kind: 'prepare', what: `building ${config}` });
    const built = await buildSubjects(config, o, progress);
    shapes[config] = built.chw;
    weights[config] = built.weights;
    subjects.push(...built.subjects);
    for (const s of built.skipped) {
      skipped.push(s);
      progress({ kind: 'skip', skipped: s });
    }
  }
  if (o.dataset && !opts.evaluate) {
    notes.push(`accuracy not measured: a dataset (${o.dataset}) was given without an evaluator (the command line evaluates as \`hrdet test\` does)`);
  }
  const unweighted = o.dataset && opts.evaluate ? o.configs.filter((c) => !checkpointFor(c, o)) : [];
  if (unweighted.length) notes.push(`accuracy not measured for ${unweighted.map(configKey).join(', ')}: no --checkpoint (random weights)`);
  if (subjects.some((s) => s.engine.startsWith('onnx (backbone+neck)'))) {
    notes.push('some models do not export to ONNX as a whole: their onnx rows run the backbone + neck graph only, marked "onnx (backbone+neck)", with that part\'s params and MACs');
  }
  const results: BenchmarkResults = {
    hrdet_version: hrdetVersion(),
    created: new Date().toISOString(),
    command: opts.command ?? null,
    machine: { ...machine, ...describeEngines(backend, o) },
    settings: settings(o, shapes, weights),
    rows: [],
    skipped,
    interrupted: false,
    notes,
    published_sources: publishedSources(o.configs),
  };
  const resultsFile = path.join(o.outDir, 'results.json');
  const save = () => writeFileAtomic(resultsFile, (w) => w.write(Buffer.from(`${JSON.stringify(results, null, 2)}\n`)));
  await save();

  const memory = new PeakMemory();
  const groups = o.batches.flatMap((batch) => o.engines.map((engine) => ({ batch, engine })));
  const total = groups.reduce((n, g) => n + subjects.filter((s) => engineOf(s) === g.engine).length, 0);
  try {
    for (const { batch, engine } of groups) {
      if (opts.signal?.aborted) break;
      const members = subjects.filter((s) => engineOf(s) === engine);
      const prepared: { subject: Subject; runner: EngineRunner; provider: string }[] = [];
      for (const subject of members) {
        progress({ kind: 'prepare', what: `${subject.name}: ${subject.engine} batch ${batch}` });
        try {
          prepared.push({ subject, ...(await prepareRunner(subject, batch, o, backend)) });
        } catch (e) {
          if (!(e instanceof UserError)) throw e;
          const s = { config: subject.config, engine: `${subject.engine} batch ${batch}`, reason: e.message };
          skipped.push(s);
          progress({ kind: 'skip', skipped: s });
        }
      }
      const rows = await timeGroup(prepared, batch, o, memory, progress, opts.signal);
      for (const row of rows) {
        results.rows.push(row);
        progress({ kind: 'row', row, done: results.rows.length, total });
      }
      await save();
      for (const p of prepared) await p.runner.dispose();
    }
  } finally {
    restoreStageTimers();
  }
  results.interrupted = opts.signal?.aborted ?? false;
  results.machine.load_average.end = loadAverage();
  await save();
  const files = [resultsFile, ...(await writeReports(results, o.outDir))];
  return { results, files };
}

interface Normalised {
  configs: string[];
  preset: string | null;
  checkpoints: Record<string, string>;
  dataset: string | null;
  engines: EngineName[];
  provider: ProviderRequest;
  shape: number[] | null;
  batches: number[];
  iters: number;
  warmup: number;
  rois: number | undefined;
  threads: number | undefined;
  backend: string | undefined;
  kernels: string | undefined;
  cfgOptions: string[];
  plugins: string[];
  seed: number;
  outDir: string;
  evaluate: EvaluateFn | undefined;
}

function normalise(opts: BenchmarkOptions): Normalised {
  if (opts.configs.length === 0) throw new UserError('nothing to benchmark: give config files or --preset');
  const engines = opts.engines ?? ['tfjs', 'onnx'];
  for (const e of engines) if (!ENGINES.includes(e)) throw new UserError(`unknown engine '${e}': expected ${ENGINES.join(', ')}`);
  const batches = opts.batches ?? [1];
  const positive = (v: number, what: string) => {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`${what} must be a positive integer, got ${v}`);
  };
  batches.forEach((b) => positive(b, 'batch size'));
  const iters = opts.iters ?? 5;
  positive(iters, 'iters');
  const warmup = opts.warmup ?? 1;
  if (!Number.isInteger(warmup) || warmup < 0) throw new UserError(`warmup must be a whole number >= 0, got ${warmup}`);
  if (opts.shape && (opts.shape.length !== 3 || opts.shape.some((d) => !Number.isInteger(d) || d < 1))) {
    throw new UserError(`the shape must be three positive integers C,H,W, got ${opts.shape.join(',')}`);
  }
  const checkpoints = opts.checkpoints ?? {};
  for (const key of Object.keys(checkpoints)) {
    if (!opts.configs.some((c) => c === key || configKey(c) === key)) {
      throw new UserError(`--checkpoint ${key}=...: '${key}' is none of the configs benchmarked (${opts.configs.map(configKey).join(', ')})`);
    }
  }
  return {
    configs: [...new Set(opts.configs)],
    preset: opts.preset ?? null,
    checkpoints,
    dataset: opts.dataset ?? null,
    engines: [...new Set(engines)],
    provider: opts.provider ?? 'auto',
    shape: opts.shape ?? null,
    batches: [...new Set(batches)].sort((a, b) => a - b),
    iters,
    warmup,
    rois: opts.rois,
    threads: opts.threads,
    backend: opts.backend,
    kernels: opts.kernels,
    cfgOptions: opts.cfgOptions ?? [],
    plugins: opts.plugins ?? [],
    seed: opts.seed ?? 0,
    outDir: opts.outDir,
    evaluate: opts.evaluate,
  };
}

function checkpointFor(config: string, o: Normalised): string | undefined {
  return o.checkpoints[config] ?? o.checkpoints[configKey(config)];
}

/** Build a config's model (weights drawn at random unless a checkpoint is given) and its subject per engine. */
async function buildSubjects(
  config: string,
  o: Normalised,
  progress: (e: BenchmarkEvent) => void,
): Promise<{ subjects: Subject[]; skipped: SkippedRow[]; chw: number[]; weights: string }> {
  const checkpoint = checkpointFor(config, o);
  const { model, config: merged } = await buildModel(config, { cfgOptions: o.cfgOptions, plugins: o.plugins, initWeights: !checkpoint });
  if (checkpoint) {
    progress({ kind: 'prepare', what: `loading ${checkpoint}` });
    await loadWeights(model, checkpoint);
  }
  model.eval();
  const chw = o.shape ?? configShape(merged.input_shape, model.inChannels);
  const published = publishedFigures(config);
  const name = published?.name ?? configKey(config);
  const metrics: Record<string, number> = {};
  if (o.evaluate && checkpoint && o.dataset) {
    progress({ kind: 'prepare', what: `accuracy of ${checkpoint} on ${o.dataset}` });
    Object.assign(metrics, await o.evaluate({ config, model, checkpoint, dataset: o.dataset }));
  }
  const subjects: Subject[] = [];
  const skipped: SkippedRow[] = [];
  const whole = countOrExplain(() => modelComplexity(model, chw, { rois: o.rois }), config);
  const base = { config, name, modelType: model.typeName, chw, metrics, notes: [] as string[] };
  for (const engine of o.engines) {
    if (engine === 'tfjs') {
      subjects.push({ ...base, engine: 'tfjs', model, complexity: whole });
    } else if (model.exportable) {
      subjects.push({ ...base, engine: 'onnx', model, complexity: whole });
    } else if (model instanceof FeatureModel) {
      const part = new BackboneNeck(model);
      subjects.push({
        ...base,
        engine: 'onnx (backbone+neck)',
        model: part,
        complexity: countOrExplain(() => backboneNeckComplexity(part, chw), config),
        notes: [`${model.typeName} does not export to ONNX as a whole yet: this row runs its backbone + neck graph only`],
      });
    } else {
      skipped.push({ config, engine, reason: `${model.typeName} does not export to ONNX (exportable=false) and has no backbone + neck to export instead` });
    }
  }
  return { subjects, skipped, chw, weights: checkpoint ?? 'random (init_cfg, else PyTorch layer defaults)' };
}

function countOrExplain(count: () => Complexity, config: string): Complexity {
  try {
    return count();
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return { params: NaN, macs: NaN, counted: 'not counted', parts: {}, partial: true, notes: [`${config}: ${e.message}`] };
  }
}

function configShape(v: unknown, channels: number): number[] {
  if (Array.isArray(v) && v.length === 3 && v.every((d) => Number.isInteger(d) && d > 0)) return v as number[];
  return [channels, 224, 224];
}

function engineOf(s: Subject): EngineName {
  return s.engine === 'tfjs' ? 'tfjs' : 'onnx';
}

async function prepareRunner(s: Subject, batch: number, o: Normalised, backend: BackendReport | null): Promise<{ runner: EngineRunner; provider: string }> {
  const shape = [batch, ...s.chw];
  if (s.engine === 'tfjs') return { runner: new TfjsRunner(s.model, shape, o.seed), provider: backend?.name ?? 'unknown' };
  const runner = await OnnxRunner.create(s.model, shape, o.seed, { provider: o.provider, intraOpThreads: onnxThreads(o) });
  return { runner, provider: runner.provider };
}

function onnxThreads(o: Normalised): number {
  return o.threads ?? require('node:os').cpus().length;
}

/**
 * Warm-up runs, then timed runs, alternating the group's models run by run so that each sees
 * the same load; returns the finished rows (none when stopped before the timed runs end).
 */
async function timeGroup(
  prepared: { subject: Subject; runner: EngineRunner; provider: string }[],
  batch: number,
  o: Normalised,
  memory: PeakMemory,
  progress: (e: BenchmarkEvent) => void,
  signal?: AbortSignal,
): Promise<BenchmarkRow[]> {
  const records = prepared.map(() => ({ runs: [] as EngineRun[], peak: 0, before: Infinity, load: [Infinity, -Infinity] as [number, number] }));
  const label = (s: Subject) => `${s.name} ${s.engine} b${batch}`;
  for (let i = 0; i < o.warmup + o.iters; i++) {
    const timed = i >= o.warmup;
    for (const [k, { subject, runner }] of prepared.entries()) {
      // let a pending signal handler run between runs (eager runs hold the thread)
      await new Promise((r) => setImmediate(r));
      if (signal?.aborted) return [];
      const rec = records[k];
      const before = memory.reset();
      const run = await runner.run();
      const peak = memory.peak();
      progress({ kind: 'run', label: label(subject), phase: timed ? 'timed' : 'warmup', index: timed ? i - o.warmup + 1 : i + 1, total: timed ? o.iters : o.warmup, ms: run.ms });
      if (!timed) continue;
      rec.runs.push(run);
      rec.peak = Math.max(rec.peak, peak);
      rec.before = Math.min(rec.before, before);
      const load = loadAverage()[0];
      rec.load = [Math.min(rec.load[0], load), Math.max(rec.load[1], load)];
    }
  }
  return prepared.map(({ subject, provider }, k) => toRow(subject, provider, batch, records[k]));
}

function toRow(s: Subject, provider: string, batch: number, rec: { runs: EngineRun[]; peak: number; before: number; load: [number, number] }): BenchmarkRow {
  const ms = rec.runs.map((r) => r.ms);
  const stats = latencyStats(ms);
  const c = s.complexity;
  return {
    config: s.config,
    model: s.name,
    model_type: s.modelType,
    engine: s.engine,
    backend: s.engine === 'tfjs' ? `tfjs ${provider}` : 'onnxruntime',
    provider,
    batch,
    input_shape: [batch, ...s.chw],
    params: c.params,
    macs: c.macs,
    gmacs: c.macs / 1e9,
    macs_counted: c.counted,
    macs_parts: c.parts,
    complexity_notes: c.notes,
    published: publishedFigures(s.config),
    latency_ms: { median: stats.median, p90: stats.p90, min: stats.min, max: stats.max, mean: stats.mean },
    spread: stats.spread,
    runs_ms: ms.map((v) => Math.round(v * 100) / 100),
    throughput: (batch * 1000) / stats.median,
    peak_memory_mb: Math.round(rec.peak),
    rss_before_mb: Math.round(rec.before),
    stages_ms: medianStages(rec.runs.map((r) => r.stages)),
    rois_per_image: roisPerImage(rec.runs, batch),
    load_average: rec.load,
    metrics: { ...s.metrics },
    notes: [...s.notes],
  };
}

function roisPerImage(runs: EngineRun[], batch: number): number | null {
  const counts = runs.map((r) => r.rois).filter((v): v is number => v !== undefined);
  return counts.length ? latencyStats(counts).median / batch : null;
}

function describeEngines(backend: BackendReport | null, o: Normalised): Pick<MachineInfo, 'backend' | 'threads'> {
  const parts: string[] = [];
  if (backend) parts.push(`tfjs ${backend.name}${backend.threads ? ` (${backend.threads} wasm thread${backend.threads > 1 ? 's' : ''})` : ''}${backend.kernels ? `, ${backend.kernels.name} kernels` : ''}`);
  if (o.engines.includes('onnx')) parts.push(`onnxruntime-node (provider requested: ${o.provider}, ${onnxThreads(o)} intra-op threads)`);
  return {
    backend: parts.join('; '),
    threads: {
      tfjs_wasm: backend?.threads ?? null,
      tfjs_kernels: backend?.kernels?.name ?? null,
      onnxruntime_intra_op: o.engines.includes('onnx') ? onnxThreads(o) : null,
    },
  };
}

function settings(o: Normalised, shapes: Record<string, number[]>, weights: Record<string, string>): BenchmarkSettings {
  return {
    preset: o.preset,
    configs: o.configs,
    engines: o.engines,
    provider: o.provider,
    shapes,
    batches: o.batches,
    iters: o.iters,
    warmup: o.warmup,
    rois: o.rois ?? null,
    seed: o.seed,
    weights,
    dataset: o.dataset,
    timing: TIMING_NOTE,
    memory: MEMORY_NOTE,
  };
}
