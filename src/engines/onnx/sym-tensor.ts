import type { DType } from '../../core/host-tensor';
import type { Tensor } from '../../core/tensor';
import type { ElemType } from './graph';
import type { Dim } from './sym-dim';

/**
 * A tensor of the ONNX tracer: the name of a graph value, its logical NCHW dims (numbers or
 * symbolic expressions) and dtype. `shape` holds the traced values, which is what model code
 * sees; `dims` is what the graph knows for every input size.
 */
export class SymTensor implements Tensor {
  constructor(
    readonly name: string,
    readonly dims: readonly Dim[],
    readonly shape: readonly number[],
    readonly dtype: DType,
    /** Identity of the trace the tensor belongs to. */
    readonly trace: object,
  ) {}
}

/** How a logical dtype is stored in the graph: every integer tensor is int64, as ONNX index ops produce. */
export function physicalType(dtype: DType): ElemType {
  switch (dtype) {
    case 'float32':
      return 'float32';
    case 'int32':
    case 'int64':
      return 'int64';
    case 'bool':
      return 'bool';
    case 'uint8':
      return 'uint8';
  }
}

/** ONNX TensorProto.DataType of an element type. */
export function onnxDataType(t: ElemType): number {
  switch (t) {
    case 'float32':
      return 1;
    case 'uint8':
      return 2;
    case 'int32':
      return 6;
    case 'int64':
      return 7;
    case 'bool':
      return 9;
  }
}
