import type { Tensor } from '../core/tensor';
import { TENSORS, type TensorContainer } from '../core/tensor-container';

export type PixelArray = Uint8Array | Int32Array | Float32Array;

/**
 * A per-pixel map [C, H, W] (mmengine's PixelData): segmentation labels and logits, pose
 * heatmaps. Host data for ground truth and results; an engine tensor while a model works on it.
 */
export class PixelData implements TensorContainer {
  constructor(
    readonly data: PixelArray | Tensor,
    readonly shape: readonly [number, number, number],
  ) {
    if (!isTensorData(data) && data.length !== shape[0] * shape[1] * shape[2]) {
      throw new Error(`pixel data of shape [${shape.join(', ')}] needs ${shape[0] * shape[1] * shape[2]} values, got ${data.length}`);
    }
  }

  get height(): number {
    return this.shape[1];
  }

  get width(): number {
    return this.shape[2];
  }

  /** The host array (throws for engine-tensor data). */
  get array(): PixelArray {
    if (isTensorData(this.data)) throw new Error('pixel data lives on the engine; read it to the host first');
    return this.data;
  }

  [TENSORS](): Iterable<unknown> {
    return isTensorData(this.data) ? [this.data] : [];
  }
}

function isTensorData(d: PixelArray | Tensor): d is Tensor {
  return !ArrayBuffer.isView(d);
}
