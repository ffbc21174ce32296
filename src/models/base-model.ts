import { Module } from '../core/module';
import { UserError } from '../core/errors';
import type { DType, HostTensor } from '../core/host-tensor';
import type { Tensor } from '../core/tensor';
import type { DataSample } from '../structures/data-sample';
import type { LossDict, NamedTensors } from '../structures/named-tensors';
import type { KeyRule } from './backbones/hrnet/official-key-map';
import type { DataPreprocessor } from './data-preprocessors/data-preprocessor';

/** mmengine's three forward modes. */
export type ForwardMode = 'tensor' | 'predict' | 'loss';
export const FORWARD_MODES: readonly ForwardMode[] = ['tensor', 'predict', 'loss'];

export type { NamedTensors, LossDict } from '../structures/named-tensors';

/**
 * How an export check compares one `tensor`-mode output with the eager one:
 * - `dense`: max |onnx - tfjs| <= rel * max(1, max |tfjs|) (the fixtures' rule);
 * - `boxes`: rows of boxes (and scores) after data-dependent selections: the same count, each
 *   value within 1e-3 * max(1, |tfjs|);
 * - `labels`: identical;
 * - `roi`: values computed from such boxes (RoI features and what the RoI heads make of them),
 *   where a box moving by float rounding can move a bilinear sample or a pyramid level: the
 *   dense rule at rel 1e-2.
 */
export type OutputRule = 'dense' | 'boxes' | 'labels' | 'roi';

/** An image axis a `tensor`-mode input follows (export marks it dynamic with the image's). */
export type ImageAxis = 'batch' | 'height' | 'width' | null;

/** One named `tensor`-mode input: its shape for an image batch, and which image axes it follows. */
export interface TensorInputSpec {
  name: string;
  dtype: DType;
  shape: readonly number[];
  axes: readonly ImageAxis[];
  /** A valid value for the batch (verification and benchmarks draw `input` at random, the rest here). */
  example?: () => HostTensor;
  /** The value for a batch of these samples (detectors: their image metas). */
  fromSamples?: (samples: readonly DataSample[]) => HostTensor;
}

/**
 * The contract of every whole model (registered in MODELS), mmengine's BaseModel:
 * - `tensor`: raw outputs by name from named inputs (`input` is the NCHW batch; detectors add
 *   image shapes) — what export, analysis, `hrdet forward` and the benchmarks use;
 * - `predict`: results written into the data samples, in original-image coordinates;
 * - `loss`: a dict of named losses for the trainer.
 * Inputs are already normalised batches: the model's `dataPreprocessor` turns images and
 * samples into them (`preprocess`).
 */
export abstract class BaseModel<S extends DataSample = DataSample> extends Module {
  /** The modes this model implements (a feature provider without a head has only `tensor`). */
  readonly modes: readonly ForwardMode[] = FORWARD_MODES;
  /** mm*'s `data_preprocessor`: normalisation, padding and batching owned by the model. */
  dataPreprocessor: DataPreprocessor<S> | null = null;

  /** Input channels the model expects (3 for images). */
  abstract get inChannels(): number;

  /**
   * The `tensor`-mode inputs for an image batch of shape [N, C, H, W]: `input` first, then any
   * a model needs besides the image (detectors: per-image sizes).
   */
  tensorInputs(imageShape: readonly number[]): TensorInputSpec[] {
    return [{ name: 'input', dtype: 'float32', shape: imageShape, axes: ['batch', null, 'height', 'width'] }];
  }

  /**
   * Names and order of the `tensor`-mode outputs for a batch of `batch` images (export and
   * serving configs); per-image results of detectors take `.i` suffixes when there are several.
   */
  abstract outputNames(batch?: number): string[];

  /**
   * Whether `tensor` mode traces into an ONNX graph. Detectors say no until their whole test
   * path (decoding, NMS, RoI stages) exports; `exportOnnx` then refuses them in one line.
   */
  readonly exportable: boolean = true;

  /** How an export check compares the output `name` (see OutputRule). */
  outputRule(_name: string): OutputRule {
    return 'dense';
  }

  /**
   * Whether an export may make the batch and image axes dynamic. Models whose graph depends on
   * the traced size beyond the convolutions (two-stage detectors: anchors, per-image loops)
   * export at a fixed size only.
   */
  readonly dynamicShapes: boolean = true;

  forward(inputs: Tensor, samples?: readonly S[] | null, mode?: 'tensor'): NamedTensors;
  forward(inputs: Tensor, samples: readonly S[], mode: 'predict'): S[];
  forward(inputs: Tensor, samples: readonly S[], mode: 'loss'): LossDict;
  forward(inputs: Tensor, samples: readonly S[] | null = null, mode: ForwardMode = 'tensor'): NamedTensors | S[] | LossDict {
    this.requireMode(mode);
    if (mode === 'tensor') return this.forwardTensor(new Map([['input', inputs]]), samples ?? undefined);
    if (!samples) throw new UserError(`${this.typeName}: '${mode}' mode needs the data samples of the batch`);
    return mode === 'predict' ? this.predict(inputs, samples) : this.loss(inputs, samples);
  }

  /**
   * Host post-processing of `tensor`-mode outputs, the same for either engine's (mask models:
   * the mask probabilities pasted into the images of `samples`, or of the whole inputs of
   * `inputShape` without metas). Default: unchanged.
   */
  hostOutputs(outputs: ReadonlyMap<string, HostTensor>, _inputShape: readonly number[], _samples?: readonly S[]): Map<string, HostTensor> {
    return new Map(outputs);
  }

  /** `tensor` mode: raw outputs from named inputs. */
  abstract forwardTensor(inputs: ReadonlyMap<string, Tensor>, samples?: readonly S[]): NamedTensors;

  /** `predict` mode: the samples with their predictions set (original-image coordinates). */
  predict(_inputs: Tensor, _samples: readonly S[]): S[] {
    throw this.unsupported('predict');
  }

  /** `loss` mode: the named losses of the batch against the samples' ground truth. */
  loss(_inputs: Tensor, _samples: readonly S[]): LossDict {
    throw this.unsupported('loss');
  }

  /**
   * Prefix rules that map an official (non-mm) checkpoint layout onto this model's keys,
   * e.g. official pose_hrnet keys `conv1.weight` → `backbone.conv1.weight`. Empty when the
   * model only has the mm* layout.
   */
  officialKeyMap(): KeyRule[] {
    return [];
  }

  requireMode(mode: ForwardMode): void {
    if (!this.modes.includes(mode)) throw this.unsupported(mode);
  }

  /** The `tensor`-mode input of this batch: the `input` entry. */
  protected image(inputs: ReadonlyMap<string, Tensor>): Tensor {
    const x = inputs.get('input');
    if (!x) throw new UserError(`${this.typeName} needs an input named 'input' (got: ${[...inputs.keys()].join(', ') || 'none'})`);
    return x;
  }

  private unsupported(mode: ForwardMode): UserError {
    return new UserError(`${this.typeName} has no '${mode}' mode (it supports ${this.modes.map((m) => `'${m}'`).join(', ')})`);
  }
}
