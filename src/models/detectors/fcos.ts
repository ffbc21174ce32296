import { SingleStageDetector, singleStageDetectorSchema, type SingleStageDetectorOptions } from './single-stage-detector';
import { MODELS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';

export const fcosSchema = singleStageDetectorSchema;
export type FCOSOptions = SingleStageDetectorOptions;

/** mmdetection's FCOS: a SingleStageDetector with an FCOSHead (anchor-free, centerness-weighted scores). */
export class FCOS extends SingleStageDetector {
  constructor(o: FCOSOptions, ctx: BuildContext) {
    super(o, ctx);
  }
}

MODELS.register(fcosSchema, (o: FCOSOptions, ctx: BuildContext) => new FCOS(o, ctx), {
  name: 'FCOS',
  summary: 'FCOS one-stage anchor-free detector (mmdetection 3): backbone → neck → FCOSHead',
});

// typed TS configs: `{ type: 'FCOS', ... }` completes and checks these options
declare module '../../config/config-types' {
  interface ModelOptionsMap {
    FCOS: import('zod').input<typeof fcosSchema>;
  }
}
