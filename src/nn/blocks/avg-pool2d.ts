import { Module } from '../../core/module';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';

/** torch.nn.AvgPool2d as mmdet's `avg_down` shortcut uses it (a parameter-free child, index 0 of `downsample`). */
export class AvgPool2d extends Module {
  constructor(
    readonly kernel: number,
    readonly stride: number,
    readonly ceilMode: boolean,
    readonly countIncludePad: boolean,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.kernel, { stride: this.stride, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad });
  }
}
