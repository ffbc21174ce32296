/**
 * A tensor that lives in host memory: the currency of checkpoints, safetensors files and
 * engine read-back. Always C-contiguous (row-major), NCHW for 4-D activations.
 */
export type DType = 'float32' | 'int32' | 'int64' | 'uint8' | 'bool';

export type HostData = Float32Array | Int32Array | BigInt64Array | Uint8Array;

export interface HostTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: HostData;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function hostTensor(dtype: DType, shape: readonly number[], data?: HostData): HostTensor {
  const n = numel(shape);
  const buf = data ?? allocate(dtype, n);
  if (buf.length !== n) {
    throw new Error(`host tensor of shape [${shape.join(',')}] needs ${n} elements, got ${buf.length}`);
  }
  return { dtype, shape: [...shape], data: buf };
}

export function allocate(dtype: DType, n: number): HostData {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'int32': return new Int32Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'uint8':
    case 'bool': return new Uint8Array(n);
  }
}

/** Float32 view of any host tensor (int64 values are converted, which is exact below 2^24). */
export function toFloat32(t: HostTensor): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(t.data[i]);
  return out;
}

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
