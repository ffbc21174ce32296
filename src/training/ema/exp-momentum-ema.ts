import type { Module } from '../../core/module';
import { AveragedModel } from './averaged-model';

/**
 * mmdetection's ExpMomentumEMA (YOLOX, RTMDet): the model's weight decays from 1 towards
 * `momentum` as (1 - momentum) * exp(-(1 + steps) / gamma) + momentum, so early averages
 * follow the model closely.
 */
export class ExpMomentumEMA extends AveragedModel {
  constructor(
    model: Module,
    readonly momentumValue = 0.0002,
    readonly gamma = 2000,
    interval = 1,
    updateBuffers = false,
  ) {
    super(model, interval, updateBuffers);
  }

  protected momentum(steps: number): number {
    return (1 - this.momentumValue) * Math.exp(-(1 + steps) / this.gamma) + this.momentumValue;
  }
}
