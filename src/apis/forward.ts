import * as tf from '@tensorflow/tfjs-core';
import { FileError, UserError } from '../core/errors';
import { closest } from '../core/closest';
import type { Parameter } from '../core/parameter';
import type { Tensor } from '../core/tensor';
import type { DataSample } from '../structures/data-sample';
import { isLossList } from '../structures/named-tensors';
import { parseLosses } from '../training/parse-losses';
import { readDetSamples } from './det-sample-files';
import { withEngine } from '../core/engine-context';
import { shapeString, type HostTensor } from '../core/host-tensor';
import type { BaseModel } from '../models/base-model';
import { initBackend, type BackendReport } from '../engines/tfjs/backend';
import { TfjsEngine } from '../engines/tfjs/tfjs-engine';
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import { buildModel, type BuildModelOptions } from './build-model';
import { sessionFor } from '../runtime/onnx-forward';
import { describeProvider } from '../runtime/onnx-model';
import type { ProviderRequest } from '../runtime/execution-providers';
import { loadWeights, describeLoadReport, type LoadWeightsResult } from './load-weights';

let engine: TfjsEngine | null = null;

/** The shared eager engine (its parameter cache lives as long as the models it has seen). */
export function tfjsEngine(): TfjsEngine {
  if (!engine) engine = new TfjsEngine();
  return engine;
}

/** Check that a host tensor is an NCHW float32 batch the model can take. */
export function checkInput(model: BaseModel, input: HostTensor, source: string): void {
  if (input.dtype !== 'float32' || input.shape.length !== 4) {
    throw new FileError(source, `'input' must be a 4-D NCHW float32 tensor, got ${input.dtype} ${shapeString(input.shape)}`);
  }
  if (input.shape[1] !== model.inChannels) {
    throw new FileError(source, `'input' has ${input.shape[1]} channels but the model expects ${model.inChannels} (shape ${shapeString(input.shape)})`);
  }
}

/**
 * Eval-mode `tensor`-mode forward on the tfjs engine (one image batch, or named inputs):
 * every named raw output, copied to the host.
 * Intermediate tensors are released; the engine's live-tensor count is unchanged afterwards
 * except for parameters seen for the first time.
 */
export function forwardTfjs(model: BaseModel, inputs: HostTensor | ReadonlyMap<string, HostTensor>, samples?: readonly DataSample[]): Map<string, HostTensor> {
  const e = tfjsEngine();
  const named = isHostTensor(inputs) ? new Map([['input', inputs]]) : inputs;
  const outs = new Map<string, HostTensor>();
  // copy to the host inside the tidy so that only host copies survive it
  tf.tidy(() =>
    withEngine(e, () => {
      const engineInputs = new Map([...named].map(([k, v]) => [k, e.constant(v)]));
      for (const [k, v] of model.forwardTensor(engineInputs, samples)) outs.set(k, e.readSync(v));
    }),
  );
  return outs;
}

/**
 * One training-mode `loss` forward on the tfjs engine (`train()`, then back to `eval()`):
 * every entry of the loss dict as a float32 scalar under its name (a tensor's mean; a list
 * summed, and each element also as `name.l`), `total_loss` (parse_losses' sum: what is
 * back-propagated) and, for each name in `gradNames`, `grad.<name>`: the gradient of the
 * total w.r.t. that parameter. The model's parameters are left as they were; training-mode
 * BatchNorm statistics move on the engine copy only.
 */
export function lossTfjs(model: BaseModel, input: HostTensor, samples: readonly DataSample[], gradNames: readonly string[] = []): Map<string, HostTensor> {
  model.requireMode('loss');
  const e = tfjsEngine();
  const params = gradParameters(model, gradNames);
  const outs = new Map<string, HostTensor>();
  const scalar = (t: Tensor): HostTensor => ({ dtype: 'float32', shape: [], data: Float32Array.of(e.readSync(t).data[0] as number) });
  const lossOf = () => {
    const dict = model.forward(e.constant(input), samples, 'loss');
    const { total, terms } = parseLosses(dict);
    for (const [k, v] of dict) {
      outs.set(k, scalar(terms.get(k)!));
      if (isLossList(v)) v.forEach((t, l) => outs.set(`${k}.${l}`, scalar(t)));
    }
    return total;
  };
  model.train();
  try {
    tf.tidy(() => {
      if (params.size === 0) {
        outs.set('total_loss', scalar(withEngine(e, lossOf)));
        return;
      }
      const { value, grads } = e.valueAndGrads(lossOf, params);
      outs.set('total_loss', scalar(value));
      for (const [k, g] of grads) outs.set(`grad.${k}`, e.readSync(g));
    });
  } finally {
    model.eval();
    e.release(model);
  }
  return outs;
}

/** The trainable parameters named by `names`; a wrong name fails in one line with the nearest ones. */
function gradParameters(model: BaseModel, names: readonly string[]): Map<string, Parameter> {
  const all = new Map(model.namedParameters());
  return new Map(
    names.map((n) => {
      const p = all.get(n);
      if (!p) {
        const near = closest(n, all.keys());
        throw new UserError(`--grads: ${model.typeName} has no parameter '${n}'${near.length ? ` (nearest: ${near.join(', ')})` : ''}`);
      }
      if (!p.requiresGrad) throw new UserError(`--grads: '${n}' is frozen (requires_grad false): it has no gradient`);
      return [n, p];
    }),
  );
}

function isHostTensor(v: HostTensor | ReadonlyMap<string, HostTensor>): v is HostTensor {
  return !(v instanceof Map);
}

export interface ForwardFilesOptions extends BuildModelOptions {
  /** 'tensor' (default): raw outputs in eval mode; 'loss': the training losses (tfjs engine only). */
  mode?: 'tensor' | 'loss';
  /** JSON list of per-image metainfo (img_shape, pad_shape, ...); detectors in both modes. */
  imgMetas?: string;
  /** JSON list of per-image ground truth ({bboxes, labels, ignore_flags?}); 'loss' mode. */
  gt?: string;
  /** 'loss' mode: parameters whose gradient of the total loss is written as `grad.<name>`. */
  grads?: string[];
  checkpoint?: string;
  strict?: boolean;
  input: string;
  output: string;
  /** 'tfjs' (default): eager on the tfjs backend; 'onnx': traced and run on onnxruntime. */
  engine?: 'tfjs' | 'onnx';
  /** tfjs backend (tfjs engine only). */
  backend?: string;
  /** onnxruntime execution provider (onnx engine only). */
  provider?: ProviderRequest;
}

export interface ForwardFilesResult {
  /** What ran the model: `tfjs (wasm)`, `onnxruntime (cpu)`, ... */
  engine: string;
  weights?: LoadWeightsResult;
  outputs: { name: string; shape: readonly number[] }[];
}

/** `hrdet forward`: config + checkpoint + input.safetensors → output.safetensors. */
export async function forwardFiles(configFile: string, opts: ForwardFilesOptions): Promise<ForwardFilesResult> {
  const onnx = opts.engine === 'onnx';
  const backend: BackendReport | null = onnx ? null : await initBackend(opts.backend);
  // a checkpoint overwrites every weight: skip drawing random ones
  const { model, config } = await buildModel(configFile, { ...opts, initWeights: !opts.checkpoint });
  const weights = opts.checkpoint ? await loadWeights(model, opts.checkpoint, { strict: opts.strict }) : undefined;
  const tensors = await readSafetensors(opts.input);
  const input = tensors.tensors.get('input');
  if (!input) {
    throw new FileError(opts.input, `no tensor named 'input' (found: ${[...tensors.tensors.keys()].join(', ') || 'none'})`);
  }
  checkInput(model, input, opts.input);
  const mode = opts.mode ?? 'tensor';
  if (mode === 'loss' && onnx) throw new UserError("--mode loss runs on the tfjs engine only (--engine onnx has no gradients)");
  if (mode === 'loss' && (!opts.imgMetas || !opts.gt)) throw new UserError('--mode loss needs --img-metas and --gt (per-image metainfo and ground truth)');
  if (mode === 'tensor' && opts.gt) throw new UserError('--gt is read in --mode loss only');
  if (mode === 'tensor' && opts.grads?.length) throw new UserError('--grads needs --mode loss');
  const samples = opts.imgMetas ? readDetSamples(opts.imgMetas, opts.gt ?? null, input.shape[0], { file: opts.input, tensors: tensors.tensors }) : undefined;
  let outputs: Map<string, HostTensor>;
  let engine: string;
  if (mode === 'loss') {
    outputs = lossTfjs(model, input, samples!, opts.grads ?? []);
    engine = `tfjs (${backend!.name})`;
  } else if (backend) {
    // the eager model takes the image sizes from the metas themselves (the double reciprocal of scale_factor, as mmdetection)
    const inputs = namedInputs(model, input.shape, tensors.tensors, opts.input, samples, true);
    outputs = model.hostOutputs(forwardTfjs(model, inputs, samples), input.shape, samples);
    engine = `tfjs (${backend.name})`;
  } else {
    const inputs = namedInputs(model, input.shape, tensors.tensors, opts.input, samples);
    const session = await sessionFor(model, input.shape, { provider: opts.provider });
    outputs = model.hostOutputs(await session.run(Object.fromEntries(inputs)), input.shape, samples);
    engine = describeProvider(session.provider);
  }
  await writeSafetensors(opts.output, outputs, { config: JSON.stringify(config), engine });
  return { engine, weights, outputs: [...outputs].map(([name, t]) => ({ name, shape: t.shape })) };
}

/**
 * Every `tensor`-mode input the model takes, by name and shape: from the file, else from the
 * image metas (detectors' image sizes), else (no metas) the whole-image default. `eager`: an
 * input the model can make itself (from the samples, or its default) is left out.
 */
function namedInputs(model: BaseModel, imageShape: readonly number[], file: Map<string, HostTensor>, source: string, samples?: readonly DataSample[], eager = false): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const spec of model.tensorInputs(imageShape)) {
    let t = file.get(spec.name);
    if (!t && eager && (spec.fromSamples || spec.example)) continue;
    if (!t && samples && spec.fromSamples) t = spec.fromSamples(samples);
    if (!t && !samples && spec.example) t = spec.example();
    if (!t) throw new FileError(source, `no tensor named '${spec.name}', which ${model.typeName} takes (${spec.dtype} ${shapeString(spec.shape)})`);
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      throw new FileError(source, `'${spec.name}' has shape ${shapeString(t.shape)}, ${model.typeName} expects ${shapeString(spec.shape)}`);
    }
    out.set(spec.name, t);
  }
  return out;
}

export { describeLoadReport };
