import { Module } from '../../core/module';
import type { Tensor } from '../../core/tensor';
import type { AvgFactor, Reduction } from './weight-reduce-loss';

/** The optional arguments of an mm* loss's forward (`weight`, `avg_factor`, `reduction_override`). */
export interface LossArgs {
  /** element-wise weight, broadcast against the unreduced loss */
  weight?: Tensor | null;
  avgFactor?: AvgFactor | null;
  reductionOverride?: Reduction | null;
}

/** Base of the registered losses: `loss_weight` and the reduction every mm* loss carries. */
export abstract class Loss extends Module {
  constructor(
    readonly reduction: Reduction,
    readonly lossWeight: number,
  ) {
    super();
  }

  /** The call's reduction_override, else the configured reduction. */
  reductionFor(args: LossArgs): Reduction {
    return args.reductionOverride ?? this.reduction;
  }

  abstract forward(pred: Tensor, target: Tensor, args?: LossArgs): Tensor;
}
