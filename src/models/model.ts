import { Module } from '../core/module';
import type { Tensor } from '../core/tensor';

/** Named raw outputs of a whole model, in a stable order: `backbone.i`, `neck.i`, `output`, ... */
export type NamedOutputs = Map<string, Tensor>;

/**
 * Contract of every whole model (registered in MODELS): one NCHW float32 input named `input`,
 * raw outputs by name. `hrdet forward`, the ONNX exporter and the benchmarks all go through
 * `forwardNamed`, so every model is checkable from the outside in the same way.
 */
export abstract class Model extends Module {
  /** Input channels the model expects (3 for images). */
  abstract get inChannels(): number;

  /** Raw outputs in eval mode: backbone branches, neck levels where present, and `output`. */
  abstract forwardNamed(x: Tensor): NamedOutputs;

  /** Names and order of `forwardNamed`'s outputs (for export and serving configs). */
  outputNames(): string[] {
    return [];
  }

  /**
   * Prefix rules that map an official (non-mm) checkpoint layout onto this model's keys,
   * e.g. official pose_hrnet keys `conv1.weight` → `backbone.conv1.weight`. Empty when the
   * model only has the mm* layout.
   */
  officialKeyMap(): { from: string; to: string }[] {
    return [];
  }
}
