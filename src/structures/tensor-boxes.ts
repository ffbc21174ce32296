import * as F from '../core/ops';
import { currentEngine } from '../core/engine-context';
import type { Tensor } from '../core/tensor';
import { TENSORS, type TensorContainer } from '../core/tensor-container';
import { Boxes, type FlipDirection, type ImageShape } from './boxes';

/**
 * Boxes as an engine tensor [N, 4] (x1 y1 x2 y2), for heads: every method is op-layer code,
 * so it runs eagerly, differentiates and traces into an ONNX graph alike.
 */
export class TensorBoxes implements TensorContainer {
  constructor(readonly tensor: Tensor) {
    if (tensor.shape.length !== 2 || tensor.shape[1] !== 4) throw new Error(`boxes tensor must be [N, 4], got [${tensor.shape.join(', ')}]`);
  }

  static fromHost(boxes: Boxes): TensorBoxes {
    return new TensorBoxes(F.constant(boxes.toHostTensor()));
  }

  [TENSORS](): Iterable<unknown> {
    return [this.tensor];
  }

  get length(): number {
    return this.tensor.shape[0];
  }

  /** Copy to the host (eager engines). */
  toHost(): Boxes {
    return new Boxes(currentEngine().readSync(this.tensor).data as Float32Array);
  }

  private coords(): [Tensor, Tensor, Tensor, Tensor] {
    const n = this.length;
    return [0, 1, 2, 3].map((k) => F.slice(this.tensor, [0, k], [n, 1])) as [Tensor, Tensor, Tensor, Tensor];
  }

  areas(): Tensor {
    const [x1, y1, x2, y2] = this.coords();
    return F.reshape(F.mul(F.sub(x2, x1), F.sub(y2, y1)), [-1]);
  }

  clip([h, w]: ImageShape): TensorBoxes {
    const [x1, y1, x2, y2] = this.coords();
    const cx = (t: Tensor) => F.clip(t, 0, w);
    const cy = (t: Tensor) => F.clip(t, 0, h);
    return new TensorBoxes(F.concat([cx(x1), cy(y1), cx(x2), cy(y2)], 1));
  }

  scale(sx: number, sy: number = sx): TensorBoxes {
    return new TensorBoxes(F.mul(this.tensor, F.constant({ dtype: 'float32', shape: [1, 4], data: Float32Array.of(sx, sy, sx, sy) })));
  }

  translate(dx: number, dy: number): TensorBoxes {
    return new TensorBoxes(F.add(this.tensor, F.constant({ dtype: 'float32', shape: [1, 4], data: Float32Array.of(dx, dy, dx, dy) })));
  }

  flip([h, w]: ImageShape, direction: FlipDirection = 'horizontal'): TensorBoxes {
    const [x1, y1, x2, y2] = this.coords();
    const fx = direction !== 'vertical';
    const fy = direction !== 'horizontal';
    const mx = (t: Tensor) => F.sub(w, t);
    const my = (t: Tensor) => F.sub(h, t);
    return new TensorBoxes(F.concat([fx ? mx(x2) : x1, fy ? my(y2) : y1, fx ? mx(x1) : x2, fy ? my(y1) : y2], 1));
  }
}
