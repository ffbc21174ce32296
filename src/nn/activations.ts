import { Module } from '../core/module';
import * as F from '../core/ops';
import type { Tensor } from '../core/tensor';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return F.relu(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}
