import { z } from 'zod';
import { UserError } from '../../core/errors';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';
import { LOSSES } from '../../registry/registries';
import { Module } from '../../core/module';

export const keypointMSELossOptions = z
  .object({
    use_target_weight: z.boolean().default(false),
    skip_empty_channel: z.boolean().default(false),
    loss_weight: z.number().default(1.0),
  })
  .strict();
export type KeypointMSELossOptions = z.input<typeof keypointMSELossOptions>;

/**
 * mmpose 1's KeypointMSELoss for heatmaps [N, K, H, W]: the mean of (output - target)² times
 * a mask built from `targetWeights` ([N, K], with use_target_weight), channels whose target is
 * all zero (with skip_empty_channel) and an optional `mask` broadcast against the heatmaps.
 * The mean is over every element, masked or not, as in mmpose.
 */
export class KeypointMSELoss extends Module {
  readonly useTargetWeight: boolean;
  readonly skipEmptyChannel: boolean;
  readonly lossWeight: number;

  constructor(options: KeypointMSELossOptions = {}) {
    super();
    const o = keypointMSELossOptions.parse(options);
    this.useTargetWeight = o.use_target_weight;
    this.skipEmptyChannel = o.skip_empty_channel;
    this.lossWeight = o.loss_weight;
  }

  forward(output: Tensor, target: Tensor, targetWeights: Tensor | null = null, mask: Tensor | null = null): Tensor {
    const m = this.mask(target, targetWeights, mask);
    const d = F.sub(output, target);
    const sq = F.mul(d, d);
    return F.mul(F.mean(m ? F.mul(sq, m) : sq), this.lossWeight);
  }

  private mask(target: Tensor, targetWeights: Tensor | null, mask: Tensor | null): Tensor | null {
    const rank = target.shape.length;
    const padTo = (t: Tensor) => F.reshape(t, [...t.shape, ...new Array(rank - t.shape.length).fill(1)]);
    let m = mask;
    if (m && (m.shape.length !== rank || m.shape.some((d, i) => d !== 1 && d !== target.shape[i]))) {
      throw new UserError(`KeypointMSELoss: mask [${m.shape}] does not broadcast against the heatmaps [${target.shape}]`);
    }
    if (this.useTargetWeight) {
      const w = targetWeights;
      if (!w) throw new UserError('KeypointMSELoss: use_target_weight is set but no target weights were given');
      if ((w.shape.length !== 2 && w.shape.length !== 4) || w.shape.some((d, i) => d !== target.shape[i])) {
        throw new UserError(`KeypointMSELoss: target weights [${w.shape}] must be the leading dims of the heatmaps [${target.shape}]`);
      }
      m = m ? F.mul(m, padTo(w)) : padTo(w);
    }
    if (this.skipEmptyChannel) {
      // a channel counts when any target value in it is non-zero
      const flat = F.reshape(target, [target.shape[0], target.shape[1], -1]);
      const nonEmpty = padTo(F.cast(F.greater(F.max(F.abs(flat), 2), 0), 'float32'));
      m = m ? F.mul(m, nonEmpty) : nonEmpty;
    }
    return m;
  }
}

LOSSES.register(keypointMSELossOptions, (o: KeypointMSELossOptions) => new KeypointMSELoss(o), {
  name: 'KeypointMSELoss',
  summary: 'heatmap MSE with target weights (mmpose 1)',
});
