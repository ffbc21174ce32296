import { UserError } from '../core/errors';
import { withEngine } from '../core/engine-context';
import type { Parameter } from '../core/parameter';
import type { Tensor } from '../core/tensor';
import type { BaseModel, TensorInputSpec } from '../models/base-model';
import { OnnxTracer, type AxisSymbols } from '../engines/onnx/onnx-tracer';

export interface TracedModel {
  tracer: OnnxTracer;
  /** The graph's inputs, in order. */
  inputs: TensorInputSpec[];
  /** Symbol per axis of `input` (null: fixed). */
  symbols: AxisSymbols;
}

export interface TraceOptions {
  opset?: number;
  /** Dynamic batch, height and width. */
  dynamic: boolean;
  /** Dynamic batch only. */
  dynamicBatch: boolean;
}

/**
 * Run the model's `tensor` mode on the ONNX tracer: one graph input per `tensorInputs` entry
 * (image axes made symbolic as asked), one graph output per named output, parameters as
 * initializers under their state-dict keys.
 */
export function traceModel(model: BaseModel, imageShape: readonly number[], o: TraceOptions): TracedModel {
  const paramNames = new Map<Parameter, string>();
  for (const [key, p] of model.namedState()) if (!paramNames.has(p)) paramNames.set(p, key);
  const tracer = new OnnxTracer({ opset: o.opset, paramNames });
  const dynamicAxes = new Set(o.dynamic ? ['batch', 'height', 'width'] : o.dynamicBatch ? ['batch'] : []);
  const specs = model.tensorInputs(imageShape);
  const inputs = new Map<string, Tensor>();
  let symbols: AxisSymbols = [];
  for (const spec of specs) {
    const axes = spec.axes.map((a) => (a && dynamicAxes.has(a) ? a : null));
    if (spec.name === 'input') symbols = axes;
    inputs.set(spec.name, tracer.input(spec.name, spec.shape, spec.dtype, axes));
  }
  const named = withEngine(tracer, () => model.forwardTensor(inputs));
  if (named.size === 0) throw new UserError(`${model.typeName} returned no outputs to export`);
  for (const [name, t] of named) tracer.output(name, t);
  return { tracer, inputs: specs, symbols };
}
