/**
 * The activations of tfjs's fused kernels (FusedConv2D, FusedDepthwiseConv2D, _FusedMatMul)
 * as ONNX nodes. Elementwise ones go right after the Conv/MatMul, where onnxruntime fuses
 * them into it; PReLU broadcasts its weights against the tfjs (NHWC) result, so it goes last.
 */
import { attr, type OpModel } from './op-model';

export type FusedActivation = 'linear' | 'relu' | 'relu6' | 'elu' | 'leakyrelu' | 'sigmoid' | 'prelu';

const KNOWN = new Set<string>(['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu']);

export function isFusedActivation(name: unknown): name is FusedActivation {
  return typeof name === 'string' && KNOWN.has(name);
}

/** Apply an elementwise activation (everything but prelu and linear) to `y`. */
export function elementwiseActivation(m: OpModel, y: string, dims: readonly number[], activation: FusedActivation, alpha: number): string {
  switch (activation) {
    case 'relu':
      return m.node('Relu', [y], dims);
    case 'relu6':
      return m.node('Clip', [y, m.floats('zero', [0]), m.floats('six', [6])], dims);
    case 'elu':
      return m.node('Elu', [y], dims, { alpha: attr.float(1) });
    case 'leakyrelu':
      return m.node('LeakyRelu', [y], dims, { alpha: attr.float(alpha) });
    case 'sigmoid':
      return m.node('Sigmoid', [y], dims);
    default:
      return y;
  }
}
