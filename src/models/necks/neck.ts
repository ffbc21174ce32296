import { Module } from '../../core/module';
import type { Tensor } from '../../core/tensor';
import type { ShapeSpec } from '../backbones/backbone';

/** A neck maps a backbone's multi-level features to (usually) a pyramid. */
export abstract class Neck extends Module {
  abstract outputShape(): ShapeSpec[];
  abstract forward(xs: Tensor[]): Tensor[];
}
