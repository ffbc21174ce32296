import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { withEngine } from '../../../../src/core/engine-context';
import { hostTensor, numel, type DType, type HostTensor } from '../../../../src/core/host-tensor';
import { Random } from '../../../../src/core/random';
import type { Tensor } from '../../../../src/core/tensor';
import { initBackend } from '../../../../src/engines/tfjs/backend';
import { TfjsEngine } from '../../../../src/engines/tfjs/tfjs-engine';
import { OnnxTracer, type AxisSymbols } from '../../../../src/engines/onnx/onnx-tracer';
import { optimizeGraph } from '../../../../src/engines/onnx/passes/optimize';
import type { Graph } from '../../../../src/engines/onnx/graph';
import { encodeOnnx } from '../../../../src/export/onnx-writer';
import { OnnxModel } from '../../../../src/runtime/onnx-model';

export type OpFn = (...xs: Tensor[]) => Tensor | Tensor[];

export interface TracedInput {
  name: string;
  value: HostTensor;
  /** Dynamic axes (symbol per axis). */
  symbols?: AxisSymbols;
}

export interface Traced {
  graph: Graph;
  tracer: OnnxTracer;
  bytes: Uint8Array;
  model: OnnxModel;
}

const tfjs = new TfjsEngine();

export async function useTfjs(): Promise<void> {
  await initBackend();
}

export function randomTensor(shape: readonly number[], seed: number, scale = 1): HostTensor {
  const r = new Random(seed);
  return hostTensor('float32', shape, Float32Array.from({ length: numel(shape) }, () => r.normal() * scale));
}

export function tensorOf(dtype: DType, shape: readonly number[], values: ArrayLike<number>): HostTensor {
  if (dtype === 'float32') return hostTensor('float32', shape, Float32Array.from(values));
  if (dtype === 'int32') return hostTensor('int32', shape, Int32Array.from(values));
  return hostTensor(dtype, shape, Uint8Array.from(values));
}

const asList = (r: Tensor | Tensor[]) => (Array.isArray(r) ? r : [r]);

/** The op-layer function on the tfjs engine, results on the host. */
export function runTfjs(fn: OpFn, inputs: readonly HostTensor[]): HostTensor[] {
  tf.engine().startScope();
  try {
    return withEngine(tfjs, () => asList(fn(...inputs.map((t) => tfjs.constant(t)))).map((t) => tfjs.readSync(t)));
  } finally {
    tf.engine().endScope();
  }
}

/** Trace the op-layer function to ONNX (optimised as an export is) and load it in onnxruntime (CPU). */
export async function traceOps(fn: OpFn, inputs: readonly TracedInput[], opts: { opset?: number; optimize?: boolean } = {}): Promise<Traced> {
  const tracer = new OnnxTracer({ opset: opts.opset });
  const xs = inputs.map((i) => tracer.input(i.name, i.value.shape, i.value.dtype, i.symbols));
  asList(withEngine(tracer, () => fn(...xs))).forEach((t, i) => tracer.output(`out${i}`, t));
  if (opts.optimize !== false) optimizeGraph(tracer.graph);
  const bytes = encodeOnnx(tracer.graph, { opset: tracer.opset });
  const model = await OnnxModel.load(bytes, { provider: 'cpu', intraOpThreads: 1 });
  return { graph: tracer.graph, tracer, bytes, model };
}

export async function runTraced(t: Traced, inputs: readonly TracedInput[] | readonly HostTensor[], names?: string[]): Promise<HostTensor[]> {
  const feeds: Record<string, HostTensor> = {};
  inputs.forEach((i, k) => {
    if ('name' in i && 'value' in i) feeds[i.name] = i.value;
    else feeds[names![k]] = i as HostTensor;
  });
  const out = await t.model.run(feeds);
  return [...out.values()];
}

export interface Tolerance {
  atol?: number;
  rtol?: number;
}

/** Same shapes, values within atol + rtol*|tfjs|; integer and bool results must be identical. */
export function expectClose(onnx: HostTensor[], ref: HostTensor[], tol: Tolerance = {}): void {
  expect(onnx.length, 'output count').to.equal(ref.length);
  const atol = tol.atol ?? 1e-5;
  const rtol = tol.rtol ?? 1e-5;
  ref.forEach((r, k) => {
    const o = onnx[k];
    expect([...o.shape], `output ${k} shape`).to.deep.equal([...r.shape]);
    const a = Array.from(o.data as ArrayLike<number>, Number);
    const b = Array.from(r.data as ArrayLike<number>, Number);
    if (r.dtype !== 'float32') {
      expect(a, `output ${k} values`).to.deep.equal(b);
      return;
    }
    for (let i = 0; i < b.length; i++) {
      if (Number.isNaN(b[i]) && Number.isNaN(a[i])) continue;
      if (!(Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]))) {
        expect.fail(`output ${k} element ${i}: onnxruntime ${a[i]}, tfjs ${b[i]} (atol ${atol}, rtol ${rtol})`);
      }
    }
  });
}

/** Trace `fn`, run it on onnxruntime and on tfjs with the same inputs, compare. */
export async function expectParity(fn: OpFn, inputs: readonly TracedInput[], tol: Tolerance = {}, opts: { opset?: number } = {}): Promise<Traced> {
  const traced = await traceOps(fn, inputs, opts);
  try {
    const onnx = await runTraced(traced, inputs);
    expectClose(onnx, runTfjs(fn, inputs.map((i) => i.value)), tol);
  } finally {
    await traced.model.dispose();
  }
  return traced;
}

/** Op types of the graph, in order. */
export function opsOf(g: Graph): string[] {
  return g.nodes.map((n) => n.op);
}
