import type { DType } from './host-tensor';

/**
 * An engine's tensor, seen from model code: an opaque handle with a logical NCHW shape.
 * The tfjs engine backs it with a tf.Tensor (possibly stored NHWC inside), the ONNX tracer
 * with a symbolic graph value. Model code only passes it to the op layer (`core/ops`).
 */
export interface Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
}
