import type { HostTensor } from '../core/host-tensor';
import type { BaseModel } from '../models/base-model';
import { optimizeGraph } from '../engines/onnx/passes/optimize';
import { encodeOnnx } from '../engines/onnx/onnx-writer';
import { traceModel } from '../export/trace-model';
import { OnnxModel, type OnnxModelOptions } from './onnx-model';

/** Sessions of models already traced, per model and input shape (a model's weights are fixed once loaded). */
const sessions = new WeakMap<BaseModel, Map<string, Promise<OnnxModel>>>();

/**
 * `--engine onnx` for commands that run a model: trace the model at the input's shape (the
 * same graph `hrdet export` writes, without the file and the verification), run it on
 * onnxruntime and return the named outputs exactly as `forwardTfjs` does. The session is kept
 * for further inputs of the same shape.
 */
export async function forwardOnnx(model: BaseModel, input: HostTensor, opts: OnnxModelOptions = {}): Promise<Map<string, HostTensor>> {
  const session = await sessionFor(model, input.shape, opts);
  const feeds: Record<string, HostTensor> = { input };
  // other inputs (a detector's image sizes) take their whole-image default
  for (const spec of model.tensorInputs(input.shape)) if (spec.name !== 'input' && spec.example) feeds[spec.name] = spec.example();
  return session.run(feeds);
}

/** The onnxruntime session `forwardOnnx` uses for this model and shape (to report its provider). */
export function sessionFor(model: BaseModel, shape: readonly number[], opts: OnnxModelOptions = {}): Promise<OnnxModel> {
  let perShape = sessions.get(model);
  if (!perShape) sessions.set(model, (perShape = new Map()));
  const key = `${shape.join('x')}|${opts.provider ?? 'auto'}|${opts.intraOpThreads ?? ''}`;
  let session = perShape.get(key);
  if (!session) {
    session = OnnxModel.load(traceToBytes(model, shape), opts);
    perShape.set(key, session);
    session.catch(() => perShape!.delete(key));
  }
  return session;
}

function traceToBytes(model: BaseModel, shape: readonly number[]): Uint8Array {
  const wasTraining = model.training;
  model.eval();
  try {
    const { tracer } = traceModel(model, shape, { dynamic: false, dynamicBatch: false });
    optimizeGraph(tracer.graph);
    return encodeOnnx(tracer.graph, { opset: tracer.opset, graphName: model.typeName });
  } finally {
    model.train(wasTraining);
  }
}
