/**
 * Handing tfjs tensor data to onnxruntime and its result back. On the single-threaded wasm
 * build and on the cpu backend no copy is made: onnxruntime reads the inputs where tfjs keeps
 * them and writes the output into memory tfjs allocated for it. The threaded wasm build keeps
 * its heap in a SharedArrayBuffer, which onnxruntime-node's binding refuses: there each input
 * is copied out and the output copied in (bench/conv-bench measures what that costs).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ortTensor, type OrtTensorLike } from './ort-binding';
import type { KernelSession } from './session-cache';

interface WasmBackendLike extends tf.KernelBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function isWasm(backend: tf.KernelBackend): backend is WasmBackendLike {
  return 'wasm' in backend && 'dataIdMap' in backend && typeof (backend as Partial<WasmBackendLike>).makeOutput === 'function';
}

function wasmView(backend: WasmBackendLike, t: tf.TensorInfo): Float32Array {
  return new Float32Array(backend.wasm.HEAPU8.buffer, backend.dataIdMap.get(t.dataId).memoryOffset, size(t.shape));
}

/** A model input: a tfjs tensor, or host values kept by hrdet (filters in onnxruntime's layout). */
export type Feed = tf.TensorInfo | Float32Array;

/**
 * Run a kernel model on tfjs tensors (`inputs` by graph input name, each viewed in the dims
 * the model declares for it); returns its output as a float32 tensor of `backend` in the tfjs
 * shape `outShape`.
 */
export function runSession(backend: tf.KernelBackend, model: KernelSession, inputs: Record<string, Feed>, outShape: number[]): tf.TensorInfo {
  const { session, output: outputName, inputDims, outputDims } = model;
  if (isWasm(backend)) {
    // allocate first: a heap that grows detaches every view taken before
    const out = backend.makeOutput(outShape, 'float32');
    const shared = backend.wasm.HEAPU8.buffer instanceof SharedArrayBuffer;
    const feeds: Record<string, OrtTensorLike> = {};
    for (const [name, t] of Object.entries(inputs)) {
      if (t instanceof Float32Array) {
        feeds[name] = ortTensor('float32', t, inputDims[name]);
        continue;
      }
      const view = wasmView(backend, t);
      feeds[name] = ortTensor('float32', shared ? view.slice() : view, inputDims[name]);
    }
    if (!shared) {
      session.run(feeds, { [outputName]: ortTensor('float32', wasmView(backend, out), outputDims) });
    } else {
      const result = session.run(feeds, { [outputName]: null })[outputName].data as Float32Array;
      wasmView(backend, out).set(result);
    }
    return out;
  }
  const feeds: Record<string, OrtTensorLike> = {};
  for (const [name, t] of Object.entries(inputs)) {
    feeds[name] = ortTensor('float32', t instanceof Float32Array ? t : (backend.readSync(t.dataId) as Float32Array), inputDims[name]);
  }
  const values = new Float32Array(size(outShape));
  session.run(feeds, { [outputName]: ortTensor('float32', values, outputDims) });
  return { dataId: backend.write(values, outShape, 'float32'), shape: outShape, dtype: 'float32' };
}
