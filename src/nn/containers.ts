import { Module } from '../core/module';
import type { Tensor } from '../core/tensor';

/** A module whose forward maps one tensor to one tensor. */
export interface TensorModule extends Module {
  forward(x: Tensor): Tensor;
}

/** torch.nn.Sequential: children named 0, 1, 2, ... applied in order. */
export class Sequential extends Module {
  private readonly layers: TensorModule[] = [];

  constructor(...layers: TensorModule[]) {
    super();
    for (const l of layers) this.append(l);
  }

  /** nn.Sequential has no init_weights: initWeights() does not reach inside it. */
  override get hasInitWeights(): boolean {
    return false;
  }

  append(layer: TensorModule): this {
    this.addModule(String(this.layers.length), layer);
    this.layers.push(layer);
    return this;
  }

  get length(): number {
    return this.layers.length;
  }

  at(i: number): TensorModule {
    return this.layers[i];
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const l of this.layers) y = l.forward(y);
    return y;
  }
}

/** torch.nn.ModuleList: indexed children with no forward of its own. */
export class ModuleList<M extends Module = Module> extends Module {
  private readonly items: M[] = [];

  constructor(items: M[] = []) {
    super();
    for (const m of items) this.push(m);
  }

  /** nn.ModuleList has no init_weights: initWeights() does not reach inside it. */
  override get hasInitWeights(): boolean {
    return false;
  }

  push(m: M): this {
    this.addModule(String(this.items.length), m);
    this.items.push(m);
    return this;
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): M {
    return this.items[i];
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}

/** A placeholder that passes its input through (PyTorch's None / nn.Identity slots). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}
