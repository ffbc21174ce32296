import { Module } from '../../core/module';
import type { Tensor } from '../../core/tensor';

/**
 * The contract of the heads of single-output models (pose heatmaps, segmentation logits,
 * classification logits): a list of feature maps, highest resolution first, in; one tensor out.
 */
export abstract class FeatureHead extends Module {
  abstract forward(feats: readonly Tensor[]): Tensor;
}
