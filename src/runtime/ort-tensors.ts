import type * as ort from 'onnxruntime-node';
import { hostTensor, type HostTensor } from '../core/host-tensor';

type Ort = typeof ort;

/** A host tensor as an onnxruntime tensor (int32 widened to int64, as the exported graphs take). */
export function toOrt(o: Ort, t: HostTensor): ort.Tensor {
  const dims = [...t.shape];
  switch (t.dtype) {
    case 'float32':
      return new o.Tensor('float32', t.data as Float32Array, dims);
    case 'int64':
      return new o.Tensor('int64', t.data as BigInt64Array, dims);
    case 'int32':
      return new o.Tensor('int64', BigInt64Array.from(t.data as Int32Array, (v) => BigInt(v)), dims);
    case 'bool':
      return new o.Tensor('bool', t.data as Uint8Array, dims);
    case 'uint8':
      return new o.Tensor('uint8', t.data as Uint8Array, dims);
  }
}

/**
 * An onnxruntime tensor as a host tensor. int64 results (indices) come back as int32, the
 * op layer's index type, so both engines give identical answers.
 */
export function fromOrt(t: ort.Tensor): HostTensor {
  const dims = t.dims.map(Number);
  switch (t.type) {
    case 'float32':
      return hostTensor('float32', dims, t.data as Float32Array);
    case 'int64':
      return hostTensor('int32', dims, Int32Array.from(t.data as BigInt64Array, (v) => Number(v)));
    case 'int32':
      return hostTensor('int32', dims, t.data as Int32Array);
    case 'bool':
      return hostTensor('bool', dims, Uint8Array.from(t.data as Uint8Array));
    case 'uint8':
      return hostTensor('uint8', dims, t.data as Uint8Array);
    default:
      throw new Error(`onnxruntime returned a ${t.type} tensor, which hrdet does not read`);
  }
}
