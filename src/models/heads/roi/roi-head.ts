import type { Module } from '../../../core/module';
import type { Tensor } from '../../../core/tensor';
import type { HostTensor } from '../../../core/host-tensor';
import type { DetDataSample } from '../../../structures/det-data-sample';
import type { ImageGeometry } from './image-metas';
import type { BitmapMasks } from '../../../structures/masks';
import type { NamedTensors } from '../../../structures/named-tensors';
import type { Detections } from './multiclass-nms';
import type { RCNNTestCfg } from './rcnn-test-cfg';

/** One image's detections, with the mask branch's results when the head has one. */
export interface RoIDetections extends Detections {
  /** Own-class mask probabilities [M, h, w] of the mask branch (before pasting). */
  maskProbs?: Tensor;
  /** Binary masks in the frame the boxes are in (the original image when rescaled), pasted on the host. */
  masks?: BitmapMasks;
  /** Per-image tensors of the mask branch under their tensor-mode names (`mask_pred_label`). */
  maskOutputs?: NamedTensors;
}

/** What a RoI head computed for a batch, for tensor mode and for predict. */
export interface RoIHeadResult {
  /** RoI-level tensors of the whole batch (images concatenated) under their tensor-mode names. */
  named: NamedTensors;
  /** Per image. */
  detections: RoIDetections[];
}

/** Tensor-mode names of a RoI head: RoI-level ones, and per-image ones besides `dets` and `labels`. */
export interface RoIHeadOutputNames {
  rois: string[];
  perImage: string[];
}

/** What a two-stage detector needs of its RoI head (mmdetection's BaseRoIHead test side). */
export interface RoIHead extends Module {
  /** test_cfg.rcnn, handed over by the detector. */
  testCfg: RCNNTestCfg | null;
  readonly withMask: boolean;
  /**
   * Detections per image from per-image proposals [P_i, 5] of images of the given geometry;
   * boxes in original pixels when `rescale`, mask probabilities not pasted. Tensors only: the
   * whole test path traces into ONNX.
   */
  predict(feats: readonly Tensor[], proposals: readonly Tensor[], images: readonly ImageGeometry[], rescale: boolean): RoIHeadResult;
  outputNames(): RoIHeadOutputNames;
  /** One image's binary masks from its mask probabilities [M, h, w] and final boxes [M, 4 or 5] (host; mask heads only). */
  pasteMasks(probs: HostTensor, boxes: HostTensor, sample: DetDataSample, rescale: boolean): BitmapMasks;
}

export function isRoIHead(m: Module): m is RoIHead {
  const h = m as unknown as Partial<RoIHead>;
  return typeof h.predict === 'function' && typeof h.outputNames === 'function' && 'testCfg' in m;
}
