import { UserError } from '../core/errors';
import { withEngine } from '../core/engine-context';
import type { Parameter } from '../core/parameter';
import type { Model } from '../models/model';
import { OnnxTracer, type AxisSymbols } from '../engines/onnx/onnx-tracer';

export interface TracedModel {
  tracer: OnnxTracer;
  /** Symbol per input axis (null: fixed). */
  symbols: AxisSymbols;
}

/** Run the model's forward on the ONNX tracer. */
export function traceModel(model: Model, inputShape: readonly number[], o: { opset?: number; dynamic: boolean; dynamicBatch: boolean }): TracedModel {
  const paramNames = new Map<Parameter, string>();
  for (const [key, p] of model.namedState()) if (!paramNames.has(p)) paramNames.set(p, key);
  const tracer = new OnnxTracer({ opset: o.opset, paramNames });
  const symbols: AxisSymbols = o.dynamic ? ['batch', null, 'height', 'width'] : [o.dynamicBatch ? 'batch' : null, null, null, null];
  const x = tracer.input('input', inputShape, 'float32', symbols);
  const named = withEngine(tracer, () => model.forwardNamed(x));
  if (named.size === 0) throw new UserError(`${model.typeName} returned no outputs to export`);
  for (const [name, t] of named) tracer.output(name, t);
  return { tracer, symbols };
}

