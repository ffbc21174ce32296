import type { z } from 'zod';
import type { BuildContext } from '../../registry/build-context';
import { MODELS } from '../../registry/registries';
import { TwoStageDetector, twoStageDetectorSchema, type TwoStageDetectorOptions } from './two-stage-detector';

export const cascadeRCNNSchema = twoStageDetectorSchema;

/**
 * Cascade R-CNN (Cai & Vasconcelos 2018) as mmdetection's CascadeRCNN: a TwoStageDetector with
 * a CascadeRoIHead. With mask heads in the RoI head it is Cascade Mask R-CNN (mmdetection
 * uses the same detector type for both).
 */
export class CascadeRCNN extends TwoStageDetector {
  constructor(o: TwoStageDetectorOptions, ctx: BuildContext) {
    super(o, ctx);
  }
}

MODELS.register(cascadeRCNNSchema, (o: TwoStageDetectorOptions, ctx: BuildContext) => new CascadeRCNN(o, ctx), {
  name: 'CascadeRCNN',
  summary: 'Cascade R-CNN (mmdetection): RPN proposals refined by three box-head stages; Cascade Mask R-CNN with mask heads',
});

declare module '../../config/config-types' {
  interface ModelOptionsMap {
    CascadeRCNN: z.input<typeof cascadeRCNNSchema>;
  }
}
