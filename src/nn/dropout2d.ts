import type { Tensor } from '../core/tensor';
import { Dropout } from './dropout';

/**
 * torch.nn.Dropout2d (mmseg's decode-head dropout): whole channels are zeroed, one draw per
 * (sample, channel) of an [N, C, H, W] input (per channel of a [C, H, W] one).
 */
export class Dropout2d extends Dropout {
  protected override maskShape(x: Tensor): number[] {
    const rank = x.shape.length;
    if (rank !== 3 && rank !== 4) throw new Error(`Dropout2d expects a [N, C, H, W] or [C, H, W] input, got [${x.shape.join(',')}]`);
    return [...x.shape.slice(0, rank - 2), 1, 1];
  }
}
