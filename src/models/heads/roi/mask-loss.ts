/**
 * The mask branch of an RoI head in training (mmdetection's mask_loss, StandardRoIHead and
 * each CascadeRoIHead stage): the positive RoIs of every image are pooled by the mask RoI
 * extractor (or, sharing the box extractor, taken from the box branch's RoI features) and
 * scored by the mask head, whose loss_and_target gives `loss_mask` against the GT masks.
 */
import { UserError } from '../../../core/errors';
import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import type { DetDataSample } from '../../../structures/det-data-sample';
import { BitmapMasks } from '../../../structures/masks';
import type { SamplingResult } from '../../task-modules/samplers/sampling-result';
import type { FCNMaskHead, MaskLossResult } from './fcn-mask-head';
import { indexTensor } from './nms-cfg';
import type { RCNNTrainCfg } from './rcnn-train-cfg';
import { positiveRoIs } from './sample-rois';
import type { SingleRoIExtractor } from './single-roi-extractor';

export interface MaskBranch {
  extractor: SingleRoIExtractor;
  head: FCNMaskHead;
  /** The box branch's RoI features [R, C, S, S] when the mask head shares its extractor (share_roi_extractor). */
  sharedFeats?: Tensor;
}

/** `train_cfg.rcnn.mask_size` as (h, w); a mask head cannot train without it. */
export function maskSizeOf(cfg: RCNNTrainCfg, where: string): [number, number] {
  const s = cfg.mask_size;
  if (s === undefined) throw new UserError(`${where}.mask_size: the mask head's 'loss' mode needs it (e.g. 28)`);
  return [s, s];
}

export function maskLoss(branch: MaskBranch, feats: readonly Tensor[], results: readonly SamplingResult[], samples: readonly DetDataSample[], maskSize: [number, number]): MaskLossResult {
  if (results.every((r) => r.posInds.length === 0)) {
    // no positive RoI in the batch: mmdetection's sum of the empty logits, here 0 on a gradient path
    return { loss: F.mul(F.sum(feats[0]), 0), targets: new Uint8Array(0) };
  }
  let roiFeats: Tensor;
  if (branch.sharedFeats) {
    // positives are the first rows of each image's block of sampled RoIs
    const rows: number[] = [];
    let start = 0;
    for (const r of results) {
      for (let k = 0; k < r.posInds.length; k++) rows.push(start + k);
      start += r.posInds.length + r.negInds.length;
    }
    roiFeats = F.gather(branch.sharedFeats, indexTensor(rows));
  } else {
    roiFeats = branch.extractor.forward(feats.slice(0, branch.extractor.numInputs), positiveRoIs(results));
  }
  const preds = branch.head.forward(roiFeats);
  return branch.head.lossAndTarget(preds, results, samples.map(gtMasksOf), maskSize);
}

/** The bitmap GT masks of a sample (LoadAnnotations with_mask; padded with the batch by pad_mask). */
export function gtMasksOf(sample: DetDataSample, index: number): BitmapMasks {
  const m = sample.gt_instances?.masks;
  if (!(m instanceof BitmapMasks)) {
    throw new UserError(`detection sample ${index}: gt_instances has no bitmap masks (the mask head's 'loss' mode needs them: LoadAnnotations with_mask=True)`);
  }
  return m;
}
