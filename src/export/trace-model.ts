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
  /** Keep only these outputs (with their `.i` per-image names; default: every tensor-mode output). */
  outputs?: readonly string[];
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
  const keep = o.outputs ? selectOutputs(model, [...named.keys()], o.outputs) : null;
  for (const [name, t] of named) if (!keep || keep.has(name)) tracer.output(name, t);
  return { tracer, inputs: specs, symbols };
}

/** The tensor-mode names an output selection keeps: each name as given or as its per-image `name.i`. */
function selectOutputs(model: BaseModel, names: readonly string[], wanted: readonly string[]): Set<string> {
  const keep = new Set<string>();
  for (const w of wanted) {
    const hits = names.filter((n) => n === w || n.replace(/\.\d+$/, '') === w);
    if (hits.length === 0) throw new UserError(`${model.typeName} has no output '${w}' (it has: ${[...new Set(names.map((n) => n.replace(/\.\d+$/, '')))].join(', ')})`);
    for (const h of hits) keep.add(h);
  }
  return keep;
}
