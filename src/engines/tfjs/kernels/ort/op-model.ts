/**
 * Small ONNX models for one kernel call (an op and the transposes and activation around it),
 * built on the exporter's Graph and written by its ONNX writer.
 */
import { encodeOnnx } from '../../../onnx/onnx-writer';
import { attr, float32Tensor, Graph, int64Tensor, type Attrs } from '../../../onnx/graph';

export { attr };

/** The opset of these models: the one hrdet's exporter writes by default. */
const OPSET = 17;

export interface EncodedOpModel {
  bytes: Uint8Array;
  output: string;
  inputDims: Record<string, number[]>;
  outputDims: number[];
}

export class OpModel {
  private readonly g = new Graph();
  private readonly inputDims: Record<string, number[]> = {};

  /** A float32 graph input (the kernel feeds it by this name). */
  input(name: string, dims: readonly number[]): string {
    this.inputDims[name] = [...dims];
    return this.g.addInput(name, 'float32', dims).name;
  }

  node(op: string, inputs: string[], dims: readonly number[], attrs: Attrs = {}): string {
    return this.g.addNode(op, inputs, [{ type: 'float32', dims }], attrs)[0];
  }

  transpose(x: string, perm: readonly number[], dims: readonly number[]): string {
    return this.node('Transpose', [x], perm.map((p) => dims[p]), { perm: attr.ints(perm) });
  }

  floats(name: string, values: readonly number[]): string {
    return this.g.addInitializer(name, float32Tensor(values, []));
  }

  ints(name: string, values: readonly number[]): string {
    return this.g.addInitializer(name, int64Tensor(values));
  }

  /**
   * Encode with `value` as the single graph output. The dims are what onnxruntime is given:
   * they may view a tfjs tensor's data in another shape (NHWC as [positions, channels]).
   */
  encode(value: string): EncodedOpModel {
    const info = this.g.info(value);
    this.g.outputs.push(info);
    const bytes = encodeOnnx(this.g, { opset: OPSET, graphName: 'hrdet-kernel' });
    return { bytes, output: value, inputDims: this.inputDims, outputDims: info.dims as number[] };
  }
}
