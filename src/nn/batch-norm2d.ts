import { Module } from '../core/module';
import * as F from '../core/ops';
import { currentEngine } from '../core/engine-context';
import { Buffer, type Parameter } from '../core/parameter';
import type { Tensor } from '../core/tensor';
import { constantInit } from './init/initializers';

/**
 * torch.nn.BatchNorm2d (eps 1e-5, momentum 0.1 by default). In training mode it normalises
 * with batch statistics and updates the running ones (unbiased variance, as PyTorch);
 * `frozen` keeps it in eval behaviour regardless of mode (mmdetection's norm_eval).
 */
export class BatchNorm2d extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  readonly runningMean: Buffer;
  readonly runningVar: Buffer;
  readonly numBatchesTracked: Buffer;
  frozen = false;

  constructor(
    readonly numFeatures: number,
    readonly eps = 1e-5,
    readonly momentum = 0.1,
    affine = true,
  ) {
    super();
    this.weight = affine ? this.addParameter('weight', [numFeatures]) : null;
    this.bias = affine ? this.addParameter('bias', [numFeatures]) : null;
    this.runningMean = this.addBuffer('running_mean', new Buffer([numFeatures]));
    this.runningVar = this.addBuffer('running_var', new Buffer([numFeatures]));
    this.numBatchesTracked = this.addBuffer('num_batches_tracked', new Buffer([], 'int64'));
    if (this.weight) constantInit(this.weight, 1);
    this.runningVar.fill(() => 1);
  }

  override get typeName(): string {
    return 'BatchNorm2d';
  }

  forward(x: Tensor): Tensor {
    const w = this.weight ? F.param(this.weight) : null;
    const b = this.bias ? F.param(this.bias) : null;
    if (!this.training || this.frozen) {
      return F.batchNorm(x, F.param(this.runningMean), F.param(this.runningVar), w, b, this.eps);
    }
    const { mean, variance } = F.moments(x, [0, 2, 3]);
    this.updateRunningStats(x, mean, variance);
    return F.batchNorm(x, mean, variance, w, b, this.eps);
  }

  private updateRunningStats(x: Tensor, mean: Tensor, variance: Tensor): void {
    const engine = currentEngine();
    const n = x.shape[0] * x.shape[2] * x.shape[3];
    const m = this.momentum;
    const unbiased = F.mul(variance, n / Math.max(n - 1, 1));
    engine.assign(this.runningMean, F.add(F.mul(F.param(this.runningMean), 1 - m), F.mul(mean, m)));
    engine.assign(this.runningVar, F.add(F.mul(F.param(this.runningVar), 1 - m), F.mul(unbiased, m)));
    const d = this.numBatchesTracked.data as BigInt64Array;
    this.numBatchesTracked.set(BigInt64Array.of(d[0] + 1n));
  }
}
