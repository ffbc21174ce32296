import { Module } from '../../core/module';
import type { Tensor } from '../../core/tensor';

/** Channels and stride (relative to the input) of one feature map a component produces. */
export interface ShapeSpec {
  readonly channels: number;
  readonly stride: number;
}

/**
 * The contract of every backbone: a list of feature maps, highest resolution first, whose
 * channels and strides it declares up front so necks and heads can be built from them.
 */
export abstract class Backbone extends Module {
  abstract outputShape(): ShapeSpec[];
  abstract forward(x: Tensor): Tensor[];
}
