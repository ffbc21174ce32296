import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { UserError } from '../core/errors';
import { alignDetections } from './align-detections';
import { hostTensor, numel, shapeString, type HostTensor } from '../core/host-tensor';
import { Random } from '../core/random';
import type { BaseModel, OutputRule } from '../models/base-model';
import type { ValueInfo } from '../engines/onnx/graph';
import type { AxisSymbols } from '../engines/onnx/onnx-tracer';
import { traceModel, type TracedModel } from '../export/trace-model';
import { optimizeGraph, type OptimizeReport } from '../engines/onnx/passes/optimize';
import { initBackend } from '../engines/tfjs/backend';
import { writeFileAtomic } from '../io/atomic-write';
import { encodeOnnx } from '../engines/onnx/onnx-writer';
import { writeTritonRepository, type TritonOptions } from '../export/triton';
import { describeProvider, OnnxModel } from '../runtime/onnx-model';
import { forwardTfjs } from './forward';

export interface ExportOptions {
  /** [C, H, W] of one traced image (default: [inChannels, 224, 224]). */
  shape?: readonly number[];
  /** Traced batch size (default 1). */
  batch?: number;
  /** Dynamic batch, height and width (fully convolutional models). */
  dynamic?: boolean;
  /** Dynamic batch only (implied by a Triton repository, whose dynamic batching needs it). */
  dynamicBatch?: boolean;
  /** ONNX opset (default 17). */
  opset?: number;
  /**
   * Graph outputs to keep, by tensor-mode name (a per-image name such as `dets` keeps every
   * `dets.i`); default all. A deployment keeps `dets`, `labels` (and `masks`) of a detector and
   * saves the copies of the intermediate maps.
   */
  outputs?: readonly string[];
  /** File to write; omitted: only the bytes are returned. */
  out?: string;
  /** The merged config the model was built from (stored in the metadata with its class names and normalisation). */
  config?: Record<string, unknown>;
  /** Extra metadata_props entries (see exportMetadata for the standard ones). */
  metadata?: Record<string, string>;
  /** Verify with onnxruntime against the tfjs forward (default on). */
  verify?: boolean | VerifyOptions;
  /** Also write an NVIDIA Triton model repository. */
  triton?: TritonOptions & { dir: string };
  /** Fold eval-mode batch norms into convs (default on). */
  foldBatchNorm?: boolean;
  /** Progress lines (what is being done, verification results). */
  log?: (line: string) => void;
}

export interface VerifyOptions {
  /** Pass criterion per output: max |onnx - tfjs| <= rel * max(1, max |tfjs|) (default 1e-4, the fixtures' rule). */
  rel?: number;
  seed?: number;
}

export interface OutputCheck {
  name: string;
  shape: number[];
  maxError: number;
  maxRef: number;
  bound: number;
  ok: boolean;
}

export interface Verification {
  provider: string;
  rel: number;
  runs: { shape: number[]; outputs: OutputCheck[] }[];
  passed: boolean;
}

export interface ExportResult {
  bytes: Uint8Array;
  path?: string;
  opset: number;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Node count per op type. */
  ops: Map<string, number>;
  initializers: number;
  passes: OptimizeReport;
  warnings: string[];
  verification?: Verification;
  triton?: { configPath: string; modelPath: string };
}

/** The export did not reproduce the tfjs forward: nothing was written. */
export class ExportVerificationError extends UserError {
  constructor(
    message: string,
    readonly verification: Verification,
  ) {
    super(message);
    this.name = 'ExportVerificationError';
  }
}

/**
 * Export a whole model to ONNX by tracing its own `tensor` mode through the op
 * layer: input `input`, outputs named as `hrdet forward` names them, parameters as
 * initializers under their state-dict keys. The graph is cleaned (BN folding, constant
 * folding, dead nodes, layout no-ops), then run in onnxruntime on a random input and
 * compared with the tfjs forward (also at a second size and batch when dynamic) before
 * anything is written.
 */
export async function exportOnnx(model: BaseModel, opts: ExportOptions = {}): Promise<ExportResult> {
  const log = opts.log ?? (() => {});
  const shape = checkShape(opts.shape ?? [model.inChannels, 224, 224], model);
  const batch = opts.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1) throw new UserError(`batch must be a positive integer, got ${batch}`);
  if (!model.exportable) throw new UserError(`${model.typeName} cannot be exported to ONNX yet: its test path does not trace into a graph`);
  if (!model.dynamicShapes && (opts.dynamic || opts.dynamicBatch || opts.triton)) {
    throw new UserError(`${model.typeName} exports at a fixed batch and image size only (its anchors and per-image steps follow the traced shape): drop --dynamic${opts.triton ? ' and the Triton repository (it needs a dynamic batch)' : ''}`);
  }
  const wasTraining = model.training;
  model.eval();
  try {
    const traced = traceModel(model, [batch, ...shape], {
      opset: opts.opset,
      dynamic: opts.dynamic ?? false,
      dynamicBatch: (opts.dynamicBatch ?? false) || opts.triton !== undefined,
      outputs: opts.outputs,
    });
    const { tracer } = traced;
    for (const w of tracer.warnings) log(`warning: ${w}`);
    const passes = optimizeGraph(tracer.graph, { foldBatchNorm: opts.foldBatchNorm });
    const metadata = { ...exportMetadata(model, { shape: [batch, ...shape], dynamic: traced.symbols, config: opts.config }), ...(opts.metadata ?? {}) };
    const bytes = encodeOnnx(tracer.graph, {
      opset: tracer.opset,
      graphName: model.typeName,
      producerVersion: hrdetVersion(),
      metadata,
    });
    const g = tracer.graph;
    const ops = new Map<string, number>();
    for (const n of g.nodes) ops.set(n.op, (ops.get(n.op) ?? 0) + 1);
    log(`traced ${model.typeName}: ${g.nodes.length} nodes (${[...ops].map(([k, v]) => `${k} ${v}`).join(', ')}), ${g.initializers.size} initializers, opset ${tracer.opset}`);
    log(`passes: ${passes.batchNormsFolded} batch norms folded, ${passes.constantsFolded} constant nodes folded, ${passes.layoutNodesRemoved} layout no-ops and ${passes.deadNodesRemoved} dead nodes removed`);
    const result: ExportResult = {
      bytes,
      opset: tracer.opset,
      inputs: g.inputs,
      outputs: g.outputs,
      ops,
      initializers: g.initializers.size,
      passes,
      warnings: [...tracer.warnings],
    };
    if (opts.verify !== false) {
      const v = typeof opts.verify === 'object' ? opts.verify : {};
      result.verification = await verifyExport(model, bytes, verificationShapes(traced, [batch, ...shape]), v, log);
    }
    if (opts.out) {
      await writeFileAtomic(opts.out, (w) => w.write(bytes));
      result.path = opts.out;
      log(`wrote ${opts.out} (${(bytes.length / 2 ** 20).toFixed(1)} MiB)`);
    }
    if (opts.triton) {
      const { dir, ...triton } = opts.triton;
      await mkdir(dir, { recursive: true });
      result.triton = await writeTritonRepository(dir, bytes, g.inputs, g.outputs, { ...triton, name: triton.name ?? defaultModelName(opts.out, model) });
      log(`wrote Triton model repository entry ${path.dirname(result.triton.configPath)}`);
    }
    return result;
  } finally {
    model.train(wasTraining);
  }
}

/** The traced shape, plus (dynamic) another batch and a size the graph accepts. */
function verificationShapes(traced: TracedModel, shape: number[]): number[][] {
  const [n, c, h, w] = shape;
  const dynBatch = traced.symbols[0] !== null;
  const dynHW = traced.symbols[2] !== null;
  if (!dynBatch && !dynHW) return [shape];
  const batch = dynBatch ? n + 1 : n;
  if (!dynHW) return [shape, [batch, c, h, w]];
  const space = traced.tracer.space;
  const candidates = [
    [h + 32, w + 64],
    [h + 64, w + 32],
    [h + 32, w + 32],
    [2 * h, w],
    [h, 2 * w],
    [2 * h, 2 * w],
  ];
  const other = candidates.find(([hh, ww]) => space.accepts(new Map([['batch', batch], ['height', hh], ['width', ww]])));
  return other ? [shape, [batch, c, other[0], other[1]]] : [shape, [batch, c, h, w]];
}

async function verifyExport(
  model: BaseModel,
  bytes: Uint8Array,
  shapes: number[][],
  o: VerifyOptions,
  log: (line: string) => void,
): Promise<Verification> {
  const rel = o.rel ?? 1e-4;
  await initBackend();
  const session = await OnnxModel.load(bytes, { provider: 'cpu' });
  const verification: Verification = { provider: describeProvider(session.provider), rel, runs: [], passed: true };
  try {
    for (const [k, shape] of shapes.entries()) {
      const inputs = verificationInputs(model, shape, (o.seed ?? 0) + k);
      const ref = forwardTfjs(model, inputs);
      const got = alignDetections(await session.run(Object.fromEntries(inputs)), ref);
      const outputs = [...ref].filter(([name]) => session.outputNames.includes(name)).map(([name, r]) => compareOutput(name, got.get(name), r, rel, model.outputRule(name)));
      verification.runs.push({ shape, outputs });
      for (const c of outputs) {
        log(`verify ${shapeString(shape)} ${c.name}: max error ${c.maxError.toExponential(2)} (bound ${c.bound.toExponential(2)}, max |tfjs| ${c.maxRef.toPrecision(3)})${c.ok ? '' : '  FAILED'}`);
      }
      if (outputs.some((c) => !c.ok)) verification.passed = false;
    }
  } finally {
    await session.dispose();
  }
  if (!verification.passed) {
    const bad = verification.runs.flatMap((r) => r.outputs.filter((c) => !c.ok).map((c) => `${c.name} at ${shapeString(r.shape)}: ${c.maxError.toExponential(2)} > ${c.bound.toExponential(2)}`));
    throw new ExportVerificationError(`the ONNX export does not reproduce the tfjs forward (nothing written): ${bad.join('; ')}`, verification);
  }
  return verification;
}

/** A random image batch of `shape` and, for any other input, the model's example value. */
function verificationInputs(model: BaseModel, shape: readonly number[], seed: number): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const spec of model.tensorInputs(shape)) {
    if (spec.name === 'input') out.set('input', hostTensor('float32', shape, new Random(seed).normalArray(numel(shape))));
    else if (spec.example) out.set(spec.name, spec.example());
    else throw new UserError(`${model.typeName}: input '${spec.name}' has no example value to verify the export with`);
  }
  return out;
}

export function compareOutput(name: string, got: HostTensor | undefined, ref: HostTensor, rel: number, rule: OutputRule = 'dense'): OutputCheck {
  const shape = [...ref.shape];
  let maxRef = 0;
  const refData = ref.data as ArrayLike<number | bigint>;
  for (let i = 0; i < refData.length; i++) maxRef = Math.max(maxRef, Math.abs(Number(refData[i])));
  const bound = rule === 'labels' ? 0 : rule === 'boxes' ? 1e-3 * Math.max(1, maxRef) : (rule === 'roi' ? Math.max(rel, 1e-2) : rel) * Math.max(1, maxRef);
  if (!got || got.shape.length !== shape.length || got.shape.some((d, i) => d !== shape[i])) {
    return { name, shape, maxError: Infinity, maxRef, bound, ok: false };
  }
  let maxError = 0;
  let ok = true;
  const a = got.data as ArrayLike<number | bigint>;
  const b = ref.data as ArrayLike<number | bigint>;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(Number(a[i]) - Number(b[i]));
    if (!(d <= maxError)) maxError = Number.isNaN(d) ? Infinity : d;
    // boxes: each value against its own magnitude
    if (rule === 'boxes' && !(d <= 1e-3 * Math.max(1, Math.abs(Number(b[i]))))) ok = false;
  }
  return { name, shape, maxError, maxRef, bound, ok: ok && maxError <= bound };
}

function checkShape(shape: readonly number[], model: BaseModel): number[] {
  if (shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new UserError(`input shape must be three positive integers C,H,W, got ${JSON.stringify(shape)}`);
  }
  if (shape[0] !== model.inChannels) {
    throw new UserError(`${model.typeName} takes ${model.inChannels} input channels, but the shape asks for ${shape[0]}`);
  }
  return [...shape];
}

export function hrdetVersion(): string {
  return (require('../../../package.json') as { version: string }).version;
}

export interface MetadataSource {
  shape: readonly number[];
  dynamic: AxisSymbols;
  /** The merged config the model was built from. */
  config?: Record<string, unknown>;
}

/**
 * The standard metadata_props: hrdet version, model type, input name/layout/shape and dynamic
 * axes, output names, and, when the config is known, the config itself, class names and input
 * normalisation (mean, std, channel order) so a deployment can preprocess without hrdet.
 */
export function exportMetadata(model: BaseModel, s: MetadataSource): Record<string, string> {
  const md: Record<string, string> = {
    hrdet_version: hrdetVersion(),
    model_type: model.typeName,
    input_name: 'input',
    input_layout: 'NCHW',
    input_shape: JSON.stringify(s.shape),
    dynamic_axes: JSON.stringify(Object.fromEntries(s.dynamic.flatMap((d, i) => (d ? [[String(i), d]] : [])))),
  };
  if (s.config) {
    md.config = JSON.stringify(s.config);
    const classes = classNames(s.config);
    if (classes) md.class_names = JSON.stringify(classes);
    const norm = inputNormalization(s.config);
    if (norm) md.input_normalization = JSON.stringify(norm);
  }
  return md;
}

function get(obj: unknown, dotted: string): unknown {
  let cur = obj;
  for (const k of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** Class names where mm* configs keep them (dataset metainfo, top-level `classes`). */
export function classNames(config: Record<string, unknown>): string[] | null {
  for (const key of ['classes', 'class_names', 'metainfo.classes', 'dataset_meta.classes', 'model.classes', 'test_dataloader.dataset.metainfo.classes', 'train_dataloader.dataset.metainfo.classes']) {
    const v = get(config, key);
    if (Array.isArray(v) && v.every((c) => typeof c === 'string')) return v as string[];
  }
  return null;
}

/** Mean/std and channel order of the model's data preprocessor (images 0-255 in). */
export function inputNormalization(config: Record<string, unknown>): Record<string, unknown> | null {
  const dp = get(config, 'model.data_preprocessor') as Record<string, unknown> | undefined;
  if (!dp || (dp.mean === undefined && dp.std === undefined)) return null;
  return {
    mean: dp.mean ?? null,
    std: dp.std ?? null,
    bgr_to_rgb: Boolean(dp.bgr_to_rgb ?? dp.to_rgb ?? false),
    formula: 'input = (image - mean) / std, per channel, NCHW float32',
  };
}

function defaultModelName(out: string | undefined, model: BaseModel): string {
  const base = out ? path.basename(out).replace(/\.onnx$/i, '') : model.typeName.toLowerCase();
  return base.replace(/[^A-Za-z0-9_.-]/g, '_') || 'model';
}
