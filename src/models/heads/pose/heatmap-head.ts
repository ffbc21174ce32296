import { z } from 'zod';
import { BaseHead } from '../base-head';
import * as F from '../../../core/ops';
import { UserError } from '../../../core/errors';
import { hostTensor } from '../../../core/host-tensor';
import type { Module } from '../../../core/module';
import type { LossDict } from '../../../structures/named-tensors';
import type { PoseDataSample } from '../../../structures/pose-data-sample';
import { InstanceData } from '../../../structures/instance-data';
import { KEYPOINT_CODECS, LOSSES } from '../../../registry/registries';
import type { MSRAHeatmap } from '../../codecs/msra-heatmap';
import { flipHeatmaps } from './flip-heatmaps';
import { posePckAccuracy } from './pose-accuracy';
import { Conv2d } from '../../../nn/conv2d';
import { ConvTranspose2d } from '../../../nn/conv-transpose2d';
import { BatchNorm2d } from '../../../nn/batch-norm2d';
import { Identity, Sequential, type TensorModule } from '../../../nn/containers';
import { ReLU } from '../../../nn/activations';
import type { InitCfg } from '../../../nn/init/init-cfg';
import type { Tensor } from '../../../core/tensor';
import { HEADS } from '../../../registry/registries';
import type { BuildContext } from '../../../registry/build-context';
import { initCfg } from '../../../nn/option-schemas';

const ints = z.array(z.number().int().positive());

export const heatmapHeadSchema = z
  .object({
    in_channels: z.number().int().positive(),
    out_channels: z.number().int().positive(),
    /** null or [] = no deconvolution stage (HRNet: heatmaps at the backbone's stride-4 resolution). */
    deconv_out_channels: ints.nullable().default([256, 256, 256]),
    deconv_kernel_sizes: ints.nullable().default([4, 4, 4]),
    conv_out_channels: ints.nullable().default(null),
    conv_kernel_sizes: ints.nullable().default(null),
    /**
     * The last conv, as mmpose builds it: a Conv2d (with bias) of kernel_size 1 updated by these
     * keys. mmpose does not pad it; the official pose_hrnet's 3x3 variant is `{kernel_size: 3, padding: 1}`.
     */
    final_layer: z
      .object({
        type: z.literal('Conv2d').optional(),
        kernel_size: z.number().int().positive().default(1),
        padding: z.number().int().min(0).default(0),
        stride: z.number().int().positive().default(1),
        bias: z.boolean().default(true),
      })
      .strict()
      .nullable()
      .default({}),
    loss: z.object({ type: z.string() }).passthrough().default({ type: 'KeypointMSELoss', use_target_weight: true }),
    /** The keypoint codec that decodes the heatmaps (an MSRAHeatmap config). */
    decoder: z.object({ type: z.string() }).passthrough().nullable().optional(),
    init_cfg: initCfg,
  })
  .strict();
export type HeatmapHeadOptions = z.infer<typeof heatmapHeadSchema>;

/** mmpose's test_cfg of heatmap heads. */
export const heatmapTestCfgSchema = z
  .object({
    flip_test: z.boolean().default(false),
    flip_mode: z.literal('heatmap').default('heatmap'),
    shift_heatmap: z.boolean().default(false),
    output_heatmaps: z.boolean().default(false),
  })
  .strict();
export type HeatmapTestCfg = z.output<typeof heatmapTestCfgSchema>;

/** mmpose's train_cfg of heatmap heads. */
export const heatmapTrainCfgSchema = z.object({ compute_acc: z.boolean().default(true) }).strict();
export type HeatmapTrainCfg = z.output<typeof heatmapTrainCfgSchema>;

/** What the keypoint loss of the head is called with (mmpose's KeypointMSELoss and kin). */
interface KeypointLoss extends Module {
  forward(output: Tensor, target: Tensor, targetWeights: Tensor | null): Tensor;
}

/** Per-sample decoded keypoints (input-crop pixels) and, on request, the merged heatmaps. */
export interface HeatmapPrediction {
  instances: InstanceData[];
  heatmaps: Tensor | null;
}

/** mmpose's HeatmapHead.default_init_cfg: N(0, 0.001) conv weights, zero biases, unit norms. */
export const HEATMAP_HEAD_DEFAULT_INIT: InitCfg = [
  { type: 'Normal', layer: ['Conv2d', 'ConvTranspose2d'], std: 0.001 },
  { type: 'Constant', layer: 'BatchNorm2d', val: 1 },
];

/**
 * mmpose's top-down heatmap head: optional deconvolution (SimpleBaseline) and conv stages, then a final conv
 * to one heatmap per keypoint, applied to the last feature map it receives (for HRNetV1 the
 * only one: the stride-4 branch). Children: `deconv_layers`, `conv_layers`, `final_layer`.
 */
export class HeatmapHead extends BaseHead<PoseDataSample, Tensor, HeatmapPrediction> {
  readonly deconvLayers: TensorModule;
  readonly convLayers: TensorModule;
  readonly finalLayer: TensorModule;
  readonly outChannels: number;
  readonly lossModule: KeypointLoss;
  readonly decoder: MSRAHeatmap | null;

  constructor(o: HeatmapHeadOptions, ctx?: BuildContext) {
    super();
    const fail = (key: string, detail: string) => (ctx ? ctx.error(key, detail) : new Error(`${key}: ${detail}`));
    const deconvOut = o.deconv_out_channels ?? [];
    // as mmpose, the kernel sizes only count when there are deconvolutions
    const deconvK = deconvOut.length ? (o.deconv_kernel_sizes ?? []) : [];
    if (deconvOut.length !== deconvK.length) {
      throw fail('deconv_kernel_sizes', `needs one kernel size per deconv_out_channels entry (${deconvOut.length}), got ${deconvK.length}`);
    }
    const badK = deconvK.find((k) => ![2, 3, 4].includes(k));
    if (badK !== undefined) throw fail('deconv_kernel_sizes', `each deconvolution kernel must be 2, 3 or 4 (as mmpose), got ${badK}`);
    const convOut = o.conv_out_channels ?? [];
    const convK = o.conv_kernel_sizes ?? [];
    if (convOut.length !== convK.length) {
      throw fail('conv_kernel_sizes', `needs one kernel size per conv_out_channels entry (${convOut.length}), got ${convK.length}`);
    }
    this.outChannels = o.out_channels;
    this.lossModule = (ctx ? ctx.build(LOSSES, o.loss, 'loss') : null) as KeypointLoss;
    this.decoder = o.decoder && ctx ? (ctx.build(KEYPOINT_CODECS, o.decoder, 'decoder') as MSRAHeatmap) : null;
    this.initCfg = o.init_cfg ?? HEATMAP_HEAD_DEFAULT_INIT;
    let cin = o.in_channels;
    // mmpose's deconv stage: stride-2 transposed convs (kernel 4: padding 1; 3: padding 1 and
    // output_padding 1; 2: no padding), each doubling the size, then BN and ReLU
    const deconvs = new Sequential();
    deconvOut.forEach((cout, i) => {
      const k = deconvK[i];
      const [padding, outputPadding] = k === 4 ? [1, 0] : k === 3 ? [1, 1] : [0, 0];
      deconvs.append(new ConvTranspose2d(cin, cout, k, { stride: 2, padding, outputPadding, bias: false }));
      deconvs.append(new BatchNorm2d(cout));
      deconvs.append(new ReLU());
      cin = cout;
    });
    this.deconvLayers = this.addModule('deconv_layers', deconvs.length ? deconvs : new Identity());
    const convs = new Sequential();
    convOut.forEach((cout, i) => {
      convs.append(new Conv2d(cin, cout, convK[i], { padding: (convK[i] - 1) >> 1 }));
      convs.append(new BatchNorm2d(cout));
      convs.append(new ReLU());
      cin = cout;
    });
    this.convLayers = this.addModule('conv_layers', convs.length ? convs : new Identity());
    const fl = o.final_layer;
    this.finalLayer = this.addModule(
      'final_layer',
      fl ? new Conv2d(cin, o.out_channels, fl.kernel_size, { padding: fl.padding, stride: fl.stride, bias: fl.bias }) : new Identity(),
    );
  }

  /** Only a final conv: the layout of the official pose_hrnet (`final_layer.*`). */
  get hasOfficialLayout(): boolean {
    return this.deconvLayers instanceof Identity && this.convLayers instanceof Identity && this.finalLayer instanceof Conv2d;
  }

  forward(feats: readonly Tensor[]): Tensor {
    const x = feats[feats.length - 1];
    return this.finalLayer.forward(this.convLayers.forward(this.deconvLayers.forward(x)));
  }

  override loss(feats: readonly Tensor[], samples: readonly PoseDataSample[], cfg: HeatmapTrainCfg = { compute_acc: true }): LossDict {
    return this.lossByFeat(this.forward(feats), samples, cfg);
  }

  /** `loss_kpt` against the samples' target heatmaps, and `acc_pose` (PCK@0.05 of the arg-maxes). */
  lossByFeat(heatmaps: Tensor, samples: readonly PoseDataSample[], cfg: HeatmapTrainCfg = { compute_acc: true }): LossDict {
    if (!this.lossModule) throw new UserError('HeatmapHead was built without a loss');
    const [N, K, H, W] = heatmaps.shape;
    const targets = new Float32Array(N * K * H * W);
    const weights = new Float32Array(N * K);
    samples.forEach((s, n) => {
      const t = s.gt_targets;
      if (!t) throw new UserError(`sample ${n} has no training targets (the pipeline needs GenerateTarget before PackPoseInputs)`);
      if (t.heatmaps.shape.join() !== [K, H, W].join()) {
        throw new UserError(`sample ${n}: target heatmaps [${t.heatmaps.shape.join(', ')}] do not match the head's output [${K}, ${H}, ${W}]`);
      }
      targets.set(t.heatmaps.data as Float32Array, n * K * H * W);
      weights.set((t.keypoint_weights.data as Float32Array).subarray(0, K), n * K);
    });
    const gt = F.constant(hostTensor('float32', [N, K, H, W], targets));
    const losses: LossDict = new Map([['loss_kpt', this.lossModule.forward(heatmaps, gt, F.constant(hostTensor('float32', [N, K], weights)))]]);
    if (cfg.compute_acc) {
      const pred = F.toHost(heatmaps).data as Float32Array;
      const acc = posePckAccuracy(pred, targets, Array.from(weights, (w) => w > 0), N, K, H, W);
      losses.set('acc_pose', F.scalar(acc));
    }
    return losses;
  }

  /**
   * Decoded keypoints per sample; with `flip_test`, the heatmaps of the mirrored input
   * (`flippedFeats`) are flipped back (`flip_indices` from the metas) and averaged in.
   */
  override predict(feats: readonly Tensor[], samples: readonly PoseDataSample[], cfg?: HeatmapTestCfg, flippedFeats?: readonly Tensor[]): HeatmapPrediction {
    const testCfg = cfg ?? heatmapTestCfgSchema.parse({});
    let heatmaps = this.forward(feats);
    if (testCfg.flip_test) {
      if (!flippedFeats) throw new Error('flip_test needs the features of the flipped input');
      const flipIndices = samples[0]?.metainfo.flip_indices ?? null;
      if (!flipIndices) throw new UserError("flip_test needs 'flip_indices' in the samples' metainfo (the dataset's flip pairs)");
      const back = flipHeatmaps(this.forward(flippedFeats), flipIndices, testCfg.shift_heatmap);
      heatmaps = F.mul(F.add(heatmaps, back), 0.5);
    }
    const pred = this.predictByFeat(heatmaps, samples);
    return { instances: pred.instances, heatmaps: testCfg.output_heatmaps ? heatmaps : null };
  }

  predictByFeat(heatmaps: Tensor, _samples: readonly PoseDataSample[]): HeatmapPrediction {
    if (!this.decoder) throw new UserError("HeatmapHead needs a 'decoder' (e.g. {type: 'MSRAHeatmap', ...}) to predict keypoints");
    const [N, K, H, W] = heatmaps.shape;
    const data = F.toHost(heatmaps).data as Float32Array;
    const instances = Array.from({ length: N }, (_, n) => {
      const { keypoints, scores } = this.decoder!.decode(data.subarray(n * K * H * W, (n + 1) * K * H * W), K, H, W);
      return new InstanceData({
        keypoints: hostTensor('float32', [1, K, 2], keypoints),
        keypoint_scores: hostTensor('float32', [1, K], scores),
      });
    });
    return { instances, heatmaps: null };
  }
}

HEADS.register(heatmapHeadSchema, (o: HeatmapHeadOptions, ctx: BuildContext) => new HeatmapHead(o, ctx), {
  name: 'HeatmapHead',
  summary: 'Top-down keypoint heatmap head (mmpose): optional conv stage and a final conv per keypoint',
});

// typed TS configs: `{ type: 'HeatmapHead', ... }` completes and checks these options
declare module '../../../config/config-types' {
  interface HeadOptionsMap {
    HeatmapHead: import('zod').input<typeof heatmapHeadSchema>;
  }
}
