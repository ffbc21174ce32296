import { promises as fsp } from 'node:fs';
import type * as ortTypes from 'onnxruntime-node';
import { FileError, UserError } from '../core/errors';
import { hostTensor, numel, shapeString, type HostTensor } from '../core/host-tensor';
import { Random } from '../core/random';
import { readOnnxSummary, type OnnxSummary, type OnnxValueSummary } from '../export/onnx-writer';
import { chooseProviders, CUDA_HOWTO, type ProviderName, type ProviderRequest } from './execution-providers';
import { fromOrt, toOrt } from './ort-tensors';

type Ort = typeof ortTypes;
let ortModule: Ort | null = null;

/** onnxruntime-node, loaded on first use so tfjs-only programs never pay for it. */
export function onnxruntime(): Ort {
  if (!ortModule) ortModule = require('onnxruntime-node') as Ort;
  return ortModule;
}

export interface OnnxModelOptions {
  /** 'auto' (default): CUDA where its provider libraries are installed, CPU otherwise. */
  provider?: ProviderRequest;
  /** Threads inside one op (onnxruntime's default: one per physical core). */
  intraOpThreads?: number;
  /** Threads across independent ops (only with executionMode 'parallel'). */
  interOpThreads?: number;
  executionMode?: 'sequential' | 'parallel';
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Write the model as onnxruntime optimised it (to inspect which kernels run). */
  optimizedModelPath?: string;
}

/** Which execution provider a session runs on, and why. */
export interface ProviderReport {
  requested: ProviderRequest;
  used: ProviderName;
  /** Providers passed over, with the reason. */
  skipped: { name: ProviderName; reason: string }[];
}

export function describeProvider(r: ProviderReport): string {
  const why = r.skipped.map((s) => `${s.name} skipped: ${s.reason}`).join('; ');
  return `onnxruntime ${r.used.toUpperCase()}${why ? ` (${why})` : ''}`;
}

/**
 * An exported hrdet model on onnxruntime-node: picks and reports the execution provider,
 * feeds and returns host tensors by name, warms up, and batches single images.
 */
export class OnnxModel {
  private constructor(
    private readonly session: ortTypes.InferenceSession,
    readonly summary: OnnxSummary,
    readonly provider: ProviderReport,
    readonly source: string,
  ) {}

  /** Load a model file (or bytes) into an onnxruntime session. */
  static async load(source: string | Uint8Array, opts: OnnxModelOptions = {}): Promise<OnnxModel> {
    const bytes = typeof source === 'string' ? await readModelFile(source) : source;
    const label = typeof source === 'string' ? source : '(in-memory model)';
    let summary: OnnxSummary;
    try {
      summary = readOnnxSummary(bytes);
    } catch (e) {
      throw new FileError(label, `not an ONNX model (${(e as Error).message})`);
    }
    const { session, report } = await createSession(bytes, label, opts);
    return new OnnxModel(session, summary, report, label);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  get inputs(): readonly OnnxValueSummary[] {
    return this.summary.inputs;
  }

  get outputs(): readonly OnnxValueSummary[] {
    return this.summary.outputs;
  }

  /** The export's metadata_props (hrdet version, config, class names, input normalisation). */
  get metadata(): Readonly<Record<string, string>> {
    return this.summary.metadata;
  }

  /** Run on named inputs (a single tensor feeds the only input). Outputs in graph order. */
  async run(feeds: HostTensor | Record<string, HostTensor>): Promise<Map<string, HostTensor>> {
    const o = onnxruntime();
    const named = isHostTensor(feeds) ? { [this.soleInput()]: feeds } : feeds;
    const ortFeeds: Record<string, ortTypes.Tensor> = {};
    for (const [name, t] of Object.entries(named)) {
      if (!this.inputNames.includes(name)) {
        throw new UserError(`${this.source}: the model has no input '${name}' (inputs: ${this.inputNames.join(', ')})`);
      }
      ortFeeds[name] = toOrt(o, t);
    }
    const results = await this.session.run(ortFeeds);
    return new Map(this.outputNames.map((n) => [n, fromOrt(results[n] as ortTypes.Tensor)]));
  }

  /**
   * Run once or more on random data of `shape` (default: the input's declared shape, with
   * symbolic dims taken as 1 for the batch and 224 for others) so the first real call does
   * not pay for allocation and kernel selection. Resolves to the mean milliseconds per run.
   */
  async warmup(runs = 1, shape?: readonly number[]): Promise<number> {
    const input = this.summary.inputs.find((i) => i.name === this.soleInput())!;
    const s = shape ?? input.dims.map((d, i) => (typeof d === 'number' ? d : i === 0 ? 1 : 224));
    const x = hostTensor('float32', s, new Random(0).normalArray(numel(s)));
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await this.run(x);
    return (performance.now() - t0) / Math.max(runs, 1);
  }

  /**
   * Run many single images ([1, C, H, W] or [C, H, W], all the same size) in batches of
   * `batchSize`; results come back per image, as if each had been run alone.
   */
  async runBatched(images: readonly HostTensor[], batchSize: number): Promise<Map<string, HostTensor>[]> {
    if (!(batchSize >= 1)) throw new UserError(`batch size must be at least 1, got ${batchSize}`);
    const fixed = this.summary.inputs[0]?.dims[0];
    if (typeof fixed === 'number' && fixed !== batchSize) {
      throw new UserError(`${this.source} was exported for batch ${fixed}: export with --dynamic (or --batch ${batchSize}) to run batches of ${batchSize}`);
    }
    const out: Map<string, HostTensor>[] = [];
    for (let i = 0; i < images.length; i += batchSize) {
      const chunk = images.slice(i, i + batchSize);
      const results = await this.run(stack(chunk));
      for (let k = 0; k < chunk.length; k++) {
        out.push(new Map([...results].map(([name, t]) => [name, unstack(t, k, chunk.length)])));
      }
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }

  private soleInput(): string {
    if (this.inputNames.length !== 1) {
      throw new UserError(`${this.source} has ${this.inputNames.length} inputs (${this.inputNames.join(', ')}): name them`);
    }
    return this.inputNames[0];
  }
}

function isHostTensor(v: unknown): v is HostTensor {
  return typeof v === 'object' && v !== null && 'data' in v && 'shape' in v && 'dtype' in v;
}

async function readModelFile(file: string): Promise<Uint8Array> {
  try {
    return await fsp.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileError(file, code === 'ENOENT' ? 'no such file' : `cannot read (${(e as Error).message})`);
  }
}

async function createSession(
  bytes: Uint8Array,
  label: string,
  opts: OnnxModelOptions,
): Promise<{ session: ortTypes.InferenceSession; report: ProviderReport }> {
  const o = onnxruntime();
  const choice = chooseProviders(opts.provider ?? 'auto');
  const skipped = [...choice.skipped];
  if (choice.candidates.length === 0) {
    throw new UserError(`CUDA was requested but ${skipped.map((s) => s.reason).join('; ')}: ${CUDA_HOWTO}`);
  }
  for (const provider of choice.candidates) {
    try {
      const session = await o.InferenceSession.create(bytes, {
        executionProviders: [provider],
        graphOptimizationLevel: opts.graphOptimization ?? 'all',
        executionMode: opts.executionMode ?? 'sequential',
        ...(opts.intraOpThreads !== undefined ? { intraOpNumThreads: opts.intraOpThreads } : {}),
        ...(opts.interOpThreads !== undefined ? { interOpNumThreads: opts.interOpThreads } : {}),
        ...(opts.optimizedModelPath ? { optimizedModelFilePath: opts.optimizedModelPath } : {}),
        logSeverityLevel: 3,
      });
      return { session, report: { requested: choice.requested, used: provider, skipped } };
    } catch (e) {
      const reason = (e as Error).message.split('\n')[0];
      if (provider === 'cpu') throw new FileError(label, `onnxruntime cannot load the model: ${reason}`);
      if (choice.requested === 'cuda') throw new UserError(`CUDA was requested but its provider failed to start (${reason}): ${CUDA_HOWTO}`);
      skipped.push({ name: provider, reason });
    }
  }
  throw new Error('unreachable: the CPU provider is always a candidate');
}

/** Concatenate [1,C,H,W] or [C,H,W] images into one [N,C,H,W] batch. */
function stack(images: readonly HostTensor[]): HostTensor {
  const shapes = images.map((t) => (t.shape.length === 3 ? [1, ...t.shape] : [...t.shape]));
  const first = shapes[0];
  for (const s of shapes) {
    if (s.length !== 4 || s[0] !== 1 || s.some((d, i) => d !== first[i])) {
      throw new UserError(`batched images must all be [1,C,H,W] of one size: got ${shapeString(s)} and ${shapeString(first)}`);
    }
  }
  const per = numel(first);
  const data = new Float32Array(per * images.length);
  images.forEach((t, i) => data.set(t.data as Float32Array, i * per));
  return hostTensor('float32', [images.length, ...first.slice(1)], data);
}

/** Item k of a batch output (outputs whose first dim is not the batch are shared). */
function unstack(t: HostTensor, k: number, n: number): HostTensor {
  if (t.shape[0] !== n) return t;
  const per = numel(t.shape.slice(1));
  const data = (t.data as Float32Array | Int32Array | Uint8Array).slice(k * per, (k + 1) * per);
  return hostTensor(t.dtype, [1, ...t.shape.slice(1)], data);
}
