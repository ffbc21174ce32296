import { z } from 'zod';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';
import { hostTensor } from '../../core/host-tensor';
import { UserError } from '../../core/errors';
import type { PoseDataSample } from '../../structures/pose-data-sample';
import type { NamedTensors, LossDict } from '../base-model';
import { componentCfg, FeatureModel } from '../feature-model';
import { HRNet } from '../backbones/hrnet/hrnet';
import { HeatmapHead, heatmapTestCfgSchema, heatmapTrainCfgSchema, type HeatmapTestCfg, type HeatmapTrainCfg } from '../heads/pose/heatmap-head';
import { flipWidth } from '../heads/pose/flip-heatmaps';
import { officialBackboneKeyMap, type KeyRule } from '../backbones/hrnet/official-key-map';
import { HEADS, MODELS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { initCfg } from '../../nn/option-schemas';

export const topdownPoseEstimatorSchema = z
  .object({
    backbone: componentCfg,
    neck: componentCfg.nullable().optional(),
    head: componentCfg,
    train_cfg: heatmapTrainCfgSchema.nullable().optional(),
    test_cfg: heatmapTestCfgSchema.nullable().optional(),
    data_preprocessor: componentCfg.nullable().optional(),
    /** Dataset meta (keypoint names, flip pairs, sigmas); samples carry what prediction needs. */
    metainfo: z.record(z.unknown()).nullable().optional(),
    init_cfg: initCfg,
  })
  .strict();
export type TopdownPoseEstimatorOptions = z.infer<typeof topdownPoseEstimatorSchema>;

/**
 * mmpose's top-down pose estimator: a person crop in, one heatmap per keypoint out
 * (`output`, [N, K, H/4, W/4] for HRNet). `predict` decodes the heatmaps (flip test as
 * `test_cfg` says) and maps the keypoints back to the image through each sample's
 * `input_center` / `input_scale`; `loss` is the head's. With an HRNet backbone built with
 * `multiscale_output: false` (HRNetV1) and a HeatmapHead without deconvolutions this is the
 * official pose_hrnet, whose checkpoints load through `officialKeyMap()`.
 */
export class TopdownPoseEstimator extends FeatureModel<PoseDataSample> {
  readonly head: HeatmapHead;
  readonly trainCfg: HeatmapTrainCfg;
  readonly testCfg: HeatmapTestCfg;

  constructor(o: TopdownPoseEstimatorOptions, ctx: BuildContext) {
    super(o, ctx);
    const head = ctx.build(HEADS, o.head, 'head');
    if (!(head instanceof HeatmapHead)) throw ctx.error('head.type', `'${String(o.head.type)}' is not a heatmap head`);
    this.head = this.addModule('head', head);
    this.trainCfg = o.train_cfg ?? heatmapTrainCfgSchema.parse({});
    this.testCfg = o.test_cfg ?? heatmapTestCfgSchema.parse({});
    this.initCfg = o.init_cfg ?? null;
  }

  forwardTensor(inputs: ReadonlyMap<string, Tensor>): NamedTensors {
    return this.headTensorOutputs(inputs, this.head);
  }

  outputNames(): string[] {
    return [...this.featureNames(), 'output'];
  }

  override loss(inputs: Tensor, samples: readonly PoseDataSample[]): LossDict {
    return this.head.loss(this.extractFeat(inputs), samples, this.trainCfg);
  }

  /** Keypoints in original-image pixels, with the person boxes and box scores of the samples. */
  override predict(inputs: Tensor, samples: readonly PoseDataSample[]): PoseDataSample[] {
    const feats = this.extractFeat(inputs);
    const flipped = this.testCfg.flip_test ? this.extractFeat(flipWidth(inputs)) : undefined;
    const { instances, heatmaps } = this.head.predict(feats, samples, this.testCfg, flipped);
    const maps = heatmaps ? (F.toHost(heatmaps).data as Float32Array) : null;
    return samples.map((s, i) => {
      const pred = instances[i];
      toImageSpace(pred.keypoints!.data as Float32Array, s, i);
      pred.keypoints_visible = pred.keypoint_scores;
      pred.bboxes = s.gt_instances?.bboxes;
      pred.bbox_scores = s.gt_instances?.bbox_scores;
      s.pred_instances = pred;
      if (maps && heatmaps) s.pred_heatmaps = sampleHeatmaps(maps, heatmaps.shape, i);
      return s;
    });
  }

  /** Official pose_hrnet keys: the body at the top level, the heatmap conv as `final_layer`. */
  override officialKeyMap(): KeyRule[] {
    if (!(this.backbone instanceof HRNet) || !this.head.hasOfficialLayout || this.neck) return [];
    return [...officialBackboneKeyMap(), { from: 'final_layer.', to: 'head.final_layer.' }];
  }
}

/** mmpose: keypoints / input_size * input_scale + input_center - input_scale / 2, in place. */
function toImageSpace(kp: Float32Array, s: PoseDataSample, index: number): void {
  const { input_size: size, input_center: center, input_scale: scale } = s.metainfo;
  if (!size || !center || !scale) throw new UserError(`sample ${index} lacks input_size, input_center or input_scale in its metainfo (set by TopdownAffine)`);
  for (let i = 0; i < kp.length; i += 2) {
    kp[i] = Math.fround((kp[i] / size[0]) * scale[0] + center[0] - 0.5 * scale[0]);
    kp[i + 1] = Math.fround((kp[i + 1] / size[1]) * scale[1] + center[1] - 0.5 * scale[1]);
  }
}

function sampleHeatmaps(all: Float32Array, shape: readonly number[], i: number) {
  const [, K, H, W] = shape;
  return hostTensor('float32', [K, H, W], all.slice(i * K * H * W, (i + 1) * K * H * W));
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
