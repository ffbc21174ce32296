import type { z } from 'zod';
import type { BuildContext } from '../../registry/build-context';
import { MODELS } from '../../registry/registries';
import { TwoStageDetector, twoStageDetectorSchema, type TwoStageDetectorOptions } from './two-stage-detector';

export const maskRCNNSchema = twoStageDetectorSchema;

/**
 * Mask R-CNN (He et al. 2017) as mmdetection's MaskRCNN: a TwoStageDetector whose
 * StandardRoIHead has a mask branch (mask_roi_extractor + FCNMaskHead); pred_instances carry
 * bitmap masks of the original image.
 */
export class MaskRCNN extends TwoStageDetector {
  constructor(o: TwoStageDetectorOptions, ctx: BuildContext) {
    super(o, ctx);
    if (!this.roiHead.withMask) throw ctx.error('roi_head.mask_head', 'MaskRCNN needs a mask head');
  }
}

MODELS.register(maskRCNNSchema, (o: TwoStageDetectorOptions, ctx: BuildContext) => new MaskRCNN(o, ctx), {
  name: 'MaskRCNN',
  summary: 'Mask R-CNN (mmdetection): Faster R-CNN plus an FCN mask head; boxes and bitmap masks in original-image pixels',
});

declare module '../../config/config-types' {
  interface ModelOptionsMap {
    MaskRCNN: z.input<typeof maskRCNNSchema>;
  }
}
