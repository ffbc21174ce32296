import * as tf from '@tensorflow/tfjs-core';
import { FileError } from '../core/errors';
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
export function forwardTfjs(model: BaseModel, inputs: HostTensor | ReadonlyMap<string, HostTensor>): Map<string, HostTensor> {
  const e = tfjsEngine();
  const named = isHostTensor(inputs) ? new Map([['input', inputs]]) : inputs;
  const outs = new Map<string, HostTensor>();
  // copy to the host inside the tidy so that only host copies survive it
  tf.tidy(() =>
    withEngine(e, () => {
      const engineInputs = new Map([...named].map(([k, v]) => [k, e.constant(v)]));
      for (const [k, v] of model.forwardTensor(engineInputs)) outs.set(k, e.readSync(v));
    }),
  );
  return outs;
}

function isHostTensor(v: HostTensor | ReadonlyMap<string, HostTensor>): v is HostTensor {
  return !(v instanceof Map);
}

export interface ForwardFilesOptions extends BuildModelOptions {
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
  const inputs = namedInputs(model, input.shape, tensors.tensors, opts.input);
  let outputs: Map<string, HostTensor>;
  let engine: string;
  if (backend) {
    outputs = forwardTfjs(model, inputs);
    engine = `tfjs (${backend.name})`;
  } else {
    const session = await sessionFor(model, input.shape, { provider: opts.provider });
    outputs = await session.run(Object.fromEntries(inputs));
    engine = describeProvider(session.provider);
  }
  await writeSafetensors(opts.output, outputs, { config: JSON.stringify(config), engine });
  return { engine, weights, outputs: [...outputs].map(([name, t]) => ({ name, shape: t.shape })) };
}

/** Every `tensor`-mode input the model takes, from the file, by name and shape. */
function namedInputs(model: BaseModel, imageShape: readonly number[], file: Map<string, HostTensor>, source: string): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const spec of model.tensorInputs(imageShape)) {
    const t = file.get(spec.name);
    if (!t) throw new FileError(source, `no tensor named '${spec.name}', which ${model.typeName} takes (${spec.dtype} ${shapeString(spec.shape)})`);
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      throw new FileError(source, `'${spec.name}' has shape ${shapeString(t.shape)}, ${model.typeName} expects ${shapeString(spec.shape)}`);
    }
    out.set(spec.name, t);
  }
  return out;
}

export { describeLoadReport };
