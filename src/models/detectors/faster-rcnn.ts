import type { z } from 'zod';
import type { BuildContext } from '../../registry/build-context';
import { MODELS } from '../../registry/registries';
import { TwoStageDetector, twoStageDetectorSchema, type TwoStageDetectorOptions } from './two-stage-detector';

export const fasterRCNNSchema = twoStageDetectorSchema;

/** Faster R-CNN (Ren et al. 2015) as mmdetection's FasterRCNN: a TwoStageDetector with an RPN and a StandardRoIHead. */
export class FasterRCNN extends TwoStageDetector {
  constructor(o: TwoStageDetectorOptions, ctx: BuildContext) {
    super(o, ctx);
  }
}

MODELS.register(fasterRCNNSchema, (o: TwoStageDetectorOptions, ctx: BuildContext) => new FasterRCNN(o, ctx), {
  name: 'FasterRCNN',
  summary: 'Faster R-CNN (mmdetection): backbone → neck → RPN proposals → RoI box head, detections in original-image pixels',
});

declare module '../../config/config-types' {
  interface ModelOptionsMap {
    FasterRCNN: z.input<typeof fasterRCNNSchema>;
  }
}
