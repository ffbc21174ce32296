import * as tf from '@tensorflow/tfjs-core';
import { FileError } from '../core/errors';
import { withEngine } from '../core/engine-context';
import { shapeString, type HostTensor } from '../core/host-tensor';
import type { Model } from '../models/model';
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
export function checkInput(model: Model, input: HostTensor, source: string): void {
  if (input.dtype !== 'float32' || input.shape.length !== 4) {
    throw new FileError(source, `'input' must be a 4-D NCHW float32 tensor, got ${input.dtype} ${shapeString(input.shape)}`);
  }
  if (input.shape[1] !== model.inChannels) {
    throw new FileError(source, `'input' has ${input.shape[1]} channels but the model expects ${model.inChannels} (shape ${shapeString(input.shape)})`);
  }
}

/**
 * Eval-mode forward on the tfjs engine: every named raw output, copied to the host.
 * Intermediate tensors are released; the engine's live-tensor count is unchanged afterwards
 * except for parameters seen for the first time.
 */
export function forwardTfjs(model: Model, input: HostTensor): Map<string, HostTensor> {
  const e = tfjsEngine();
  const outs = new Map<string, HostTensor>();
  // copy to the host inside the tidy so that only host copies survive it
  tf.tidy(() =>
    withEngine(e, () => {
      for (const [k, v] of model.forwardNamed(e.constant(input))) outs.set(k, e.readSync(v));
    }),
  );
  return outs;
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
  let outputs: Map<string, HostTensor>;
  let engine: string;
  if (backend) {
    outputs = forwardTfjs(model, input);
    engine = `tfjs (${backend.name})`;
  } else {
    const session = await sessionFor(model, input.shape, { provider: opts.provider });
    outputs = await session.run({ input });
    engine = describeProvider(session.provider);
  }
  await writeSafetensors(opts.output, outputs, { config: JSON.stringify(config), engine });
  return { engine, weights, outputs: [...outputs].map(([name, t]) => ({ name, shape: t.shape })) };
}

export { describeLoadReport };
