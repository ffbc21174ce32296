import type { Module } from '../../core/module';
import { AveragedModel } from './averaged-model';

/** mmengine's ExponentialMovingAverage: a constant weight `momentum` for the model (0.0002 by default). */
export class ExponentialMovingAverage extends AveragedModel {
  constructor(
    model: Module,
    readonly momentumValue = 0.0002,
    interval = 1,
    updateBuffers = false,
  ) {
    super(model, interval, updateBuffers);
  }

  protected momentum(): number {
    return this.momentumValue;
  }
}
