import * as tf from '@tensorflow/tfjs-core';
import { withEngine } from '../../core/engine-context';
import { hostTensor, numel, type HostTensor } from '../../core/host-tensor';
import { Random } from '../../core/random';
import { UserError } from '../../core/errors';
import type { BaseModel } from '../../models/base-model';
import { FeatureModel } from '../../models/feature-model';
import { SingleStageDetector } from '../../models/detectors/single-stage-detector';
import { TwoStageDetector } from '../../models/detectors/two-stage-detector';
import type { ProviderRequest } from '../../runtime/execution-providers';
import { sessionFor } from '../../runtime/onnx-forward';
import type { OnnxModel } from '../../runtime/onnx-model';
import { DetDataSample } from '../../structures/det-data-sample';
import { tfjsEngine } from '../forward';
import { StageTimer } from './stage-timer';
import { BackboneNeck } from './backbone-neck';

/** One timed run: wall milliseconds and, where the engine can tell, its split by stage. */
export interface EngineRun {
  ms: number;
  stages: Record<string, number>;
  /** Proposals that reached the RoI head, whole batch (two-stage detectors on tfjs). */
  rois?: number;
}

/** A model prepared on one engine for one batch size. */
export interface EngineRunner {
  run(): Promise<EngineRun>;
  dispose(): Promise<void>;
}

/** The `tensor`-mode inputs of a batch: `input` drawn N(0, 1) (an already normalised batch), the rest the model's examples. */
export function benchmarkInputs(model: BaseModel, shape: readonly number[], seed: number): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const spec of model.tensorInputs(shape)) {
    if (spec.name === 'input') out.set('input', hostTensor('float32', shape, new Random(seed).normalArray(numel(shape))));
    else if (spec.example) out.set(spec.name, spec.example());
    else throw new UserError(`${model.typeName}: input '${spec.name}' has no example value to benchmark with`);
  }
  return out;
}

const timers = new WeakMap<FeatureModel, StageTimer>();
const installed: StageTimer[] = [];

/** One stage timer per model (several batch sizes share it), put back by `restoreStageTimers`. */
function stageTimer(model: FeatureModel): StageTimer {
  let t = timers.get(model);
  if (!t) {
    t = new StageTimer(model);
    timers.set(model, t);
    installed.push(t);
  }
  return t;
}

export function restoreStageTimers(): void {
  for (const t of installed.splice(0)) t.restore();
}

/**
 * The eager tfjs engine running what a user of the model runs: detectors their `predict` path
 * (backbone, neck, heads, then decoding and NMS, results read to the host), other models their
 * `tensor` mode with every output read to the host. The input is uploaded before the clock
 * starts; the tidy that frees the run's tensors ends after it stops.
 */
export class TfjsRunner implements EngineRunner {
  private readonly inputs: Map<string, HostTensor>;
  private readonly timer: StageTimer | null;
  private readonly detector: boolean;

  constructor(
    private readonly model: BaseModel,
    private readonly shape: readonly number[],
    seed: number,
  ) {
    this.inputs = benchmarkInputs(model, shape, seed);
    this.timer = model instanceof FeatureModel ? stageTimer(model) : null;
    this.detector = model instanceof SingleStageDetector || model instanceof TwoStageDetector;
  }

  async run(): Promise<EngineRun> {
    const e = tfjsEngine();
    let ms = 0;
    tf.tidy(() =>
      withEngine(e, () => {
        const named = new Map([...this.inputs].map(([k, v]) => [k, e.constant(v)]));
        this.timer?.reset();
        const t0 = performance.now();
        if (this.detector) {
          (this.model as SingleStageDetector | TwoStageDetector).predict(named.get('input')!, wholeImageSamples(this.shape));
        } else {
          for (const [, v] of this.model.forwardTensor(named)) e.readSync(v);
        }
        ms = performance.now() - t0;
      }),
    );
    const rois = this.timer?.roiCount;
    return { ms, stages: this.timer ? this.timer.split(ms) : {}, ...(rois !== null && rois !== undefined ? { rois } : {}) };
  }

  async dispose(): Promise<void> {}
}

/** Samples for a batch without metas: each image is the whole input, unscaled. */
function wholeImageSamples(shape: readonly number[]): DetDataSample[] {
  const [n, , h, w] = shape;
  return Array.from({ length: n }, () => new DetDataSample({ img_shape: [h, w], ori_shape: [h, w], pad_shape: [h, w], scale_factor: [1, 1] }));
}

const prefixes = new WeakMap<FeatureModel, BackboneNeck>();

/** One backbone + neck model per detector (several batch sizes share its traced sessions). */
function backboneNeckOf(model: FeatureModel): BackboneNeck {
  let part = prefixes.get(model);
  if (!part) prefixes.set(model, (part = new BackboneNeck(model)));
  return part;
}

/**
 * onnxruntime-node running the graph `hrdet export` would write for this model at this fixed
 * shape (traced from the same module code, batch norms folded): the whole graph is timed, from
 * feeding the host inputs to having every output on the host. A graph runs as one call, so its
 * stages cannot be timed inside it; for a model with a backbone and heads the run also times
 * the backbone + neck graph of the same weights on its own, right after: stages
 * `backbone+neck` (that graph, its feature maps copied out) and `rest` (whole graph minus it:
 * heads, decoding, NMS, RoI stages and the extra output copies).
 */
export class OnnxRunner implements EngineRunner {
  private constructor(
    private readonly session: OnnxModel,
    private readonly feeds: Record<string, HostTensor>,
    private readonly prefix: OnnxModel | null,
  ) {}

  static async create(model: BaseModel, shape: readonly number[], seed: number, opts: { provider?: ProviderRequest; intraOpThreads?: number }): Promise<OnnxRunner> {
    const session = await sessionFor(model, shape, opts);
    const inputs = benchmarkInputs(model, shape, seed);
    const detector = model instanceof SingleStageDetector || model instanceof TwoStageDetector;
    const prefix = detector ? await sessionFor(backboneNeckOf(model), shape, opts) : null;
    return new OnnxRunner(session, Object.fromEntries(inputs), prefix);
  }

  get provider(): string {
    return this.session.provider.used;
  }

  async run(): Promise<EngineRun> {
    const t0 = performance.now();
    await this.session.run(this.feeds);
    const ms = performance.now() - t0;
    if (!this.prefix) return { ms, stages: {} };
    const t1 = performance.now();
    await this.prefix.run({ input: this.feeds.input });
    const features = performance.now() - t1;
    return { ms, stages: { 'backbone+neck': features, rest: Math.max(0, ms - features) } };
  }

  async dispose(): Promise<void> {
    // the sessions stay cached with their models (sessionFor) for the life of the process
  }
}
