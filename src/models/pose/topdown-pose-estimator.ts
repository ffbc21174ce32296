import { z } from 'zod';
import { SingleHeadModel } from '../single-head-model';
import { MODELS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { initCfg } from '../../nn/option-schemas';
import { HRNet } from '../backbones/hrnet/hrnet';
import { HeatmapHead } from '../heads/pose/heatmap-head';
import { officialBackboneKeyMap, type KeyRule } from '../backbones/hrnet/official-key-map';

const componentCfg = z.record(z.unknown());

export const topdownPoseEstimatorSchema = z
  .object({
    backbone: componentCfg,
    neck: componentCfg.nullable().optional(),
    head: componentCfg,
    train_cfg: z.record(z.unknown()).nullable().optional(),
    test_cfg: z.record(z.unknown()).nullable().optional(),
    data_preprocessor: z.record(z.unknown()).nullable().optional(),
    metainfo: z.record(z.unknown()).nullable().optional(),
    init_cfg: initCfg,
  })
  .strict();
export type TopdownPoseEstimatorOptions = z.infer<typeof topdownPoseEstimatorSchema>;

/**
 * mmpose's top-down pose estimator: a person crop in, one heatmap per keypoint out
 * (`output`, [N, K, H/4, W/4] for HRNet). With an HRNet backbone built with
 * `multiscale_output: false` (HRNetV1) and a HeatmapHead without deconvolutions this is the
 * official pose_hrnet, whose checkpoints load through `officialKeyMap()`.
 */
export class TopdownPoseEstimator extends SingleHeadModel {
  readonly testCfg: Record<string, unknown> | null;
  readonly dataPreprocessor: Record<string, unknown> | null;

  constructor(o: TopdownPoseEstimatorOptions, ctx: BuildContext) {
    super({ backbone: o.backbone, neck: o.neck, head: o.head }, 'head', ctx);
    this.testCfg = o.test_cfg ?? null;
    this.dataPreprocessor = o.data_preprocessor ?? null;
    this.initCfg = o.init_cfg ?? null;
  }

  /** Official pose_hrnet keys: the body at the top level, the heatmap conv as `final_layer`. */
  override officialKeyMap(): KeyRule[] {
    if (!(this.backbone instanceof HRNet) || !(this.head instanceof HeatmapHead) || !this.head.hasOfficialLayout || this.neck) return [];
    return [...officialBackboneKeyMap(), { from: 'final_layer.', to: 'head.final_layer.' }];
  }
}

MODELS.register(topdownPoseEstimatorSchema, (o: TopdownPoseEstimatorOptions, ctx: BuildContext) => new TopdownPoseEstimator(o, ctx), {
  name: 'TopdownPoseEstimator',
  summary: 'Top-down keypoint heatmap model (mmpose): backbone → [neck] → heatmap head',
});

// typed TS configs: `{ type: 'TopdownPoseEstimator', ... }` completes and checks these options
declare module '../../config/config-types' {
  interface ModelOptionsMap {
    TopdownPoseEstimator: import('zod').input<typeof topdownPoseEstimatorSchema>;
  }
}
