import { Module } from '../../core/module';
import type { Tensor } from '../../core/tensor';
import type { DataSample } from '../../structures/data-sample';
import type { LossDict } from '../../structures/named-tensors';

/**
 * The three sides of every head (mmdet's BaseDenseHead, mmpose's BaseHead, mmseg's
 * BaseDecodeHead): `forward` (raw outputs, traceable), `loss` = forward + `lossByFeat`, and
 * `predict` = forward + `predictByFeat`. `Out` is what forward returns; `Pred` what predict
 * gives per batch (the model writes it into its samples).
 */
export abstract class BaseHead<S extends DataSample, Out = Tensor, Pred = unknown> extends Module {
  abstract forward(feats: readonly Tensor[]): Out;

  loss(feats: readonly Tensor[], samples: readonly S[]): LossDict {
    return this.lossByFeat(this.forward(feats), samples);
  }

  abstract lossByFeat(out: Out, samples: readonly S[]): LossDict;

  predict(feats: readonly Tensor[], samples: readonly S[]): Pred {
    return this.predictByFeat(this.forward(feats), samples);
  }

  abstract predictByFeat(out: Out, samples: readonly S[]): Pred;
}
