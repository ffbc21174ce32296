import { Module } from '../core/module';
import * as F from '../core/ops';
import type { Parameter } from '../core/parameter';
import type { Tensor } from '../core/tensor';

/**
 * mmcv's Scale: a learnable scalar that multiplies its input (FCOS's and RetinaNet-style
 * heads' per-level regression scales). State-dict key `scale`, a 0-d float32 tensor.
 */
export class Scale extends Module {
  readonly scale: Parameter;

  constructor(initial = 1.0) {
    super();
    this.scale = this.addParameter('scale', []);
    this.scale.fill(() => initial);
  }

  forward(x: Tensor): Tensor {
    return F.mul(x, F.param(this.scale));
  }
}
