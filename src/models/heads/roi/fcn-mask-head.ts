import { z } from 'zod';
import { Module } from '../../../core/module';
import { UserError } from '../../../core/errors';
import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import { ConvModule } from '../../../nn/conv-module';
import { Conv2d } from '../../../nn/conv2d';
import { ConvTranspose2d } from '../../../nn/conv-transpose2d';
import { ModuleList } from '../../../nn/containers';
import { constantInit, kaimingNormal } from '../../../nn/init/initializers';
import type { NormConfig } from '../../../nn/norm';
import { convCfg, initCfg, normCfg } from '../../../nn/option-schemas';
import type { BuildContext } from '../../../registry/build-context';
import { HEADS, LOSSES } from '../../../registry/registries';
import type { HostTensor } from '../../../core/host-tensor';
import { BitmapMasks } from '../../../structures/masks';
import { componentCfg } from './component-cfg';
import type { ImageGeometry } from './image-metas';
import type { Detections } from './multiclass-nms';
import { pasteMasks } from './paste-masks';
import { maskTargets } from './mask-targets';
import { hostTensor } from '../../../core/host-tensor';
import { Loss, type LossArgs } from '../../losses/loss';
import type { SamplingResult } from '../../task-modules/samplers/sampling-result';
import type { RCNNTestCfg } from './rcnn-test-cfg';
import type { RoIDetections } from './roi-head';

export const fcnMaskHeadOptions = z
  .object({
    num_convs: z.number().int().min(0).default(4),
    /** Kept for configs; mmdetection does not read it either. */
    roi_feat_size: z.union([z.number().int().positive(), z.tuple([z.number().int().positive(), z.number().int().positive()])]).default(14),
    in_channels: z.number().int().positive().default(256),
    conv_kernel_size: z.number().int().positive().default(3),
    conv_out_channels: z.number().int().positive().default(256),
    num_classes: z.number().int().positive().default(80),
    class_agnostic: z.boolean().default(false),
    /** 'carafe' (an mmcv op) is not built. */
    upsample_cfg: z
      .object({
        type: z.enum(['deconv', 'nearest', 'bilinear']).nullable(),
        scale_factor: z.number().int().positive().default(2),
      })
      .strict()
      .default({ type: 'deconv', scale_factor: 2 }),
    conv_cfg: convCfg,
    norm_cfg: normCfg.nullable().optional(),
    predictor_cfg: z.object({ type: z.enum(['Conv', 'Conv2d']) }).strict().default({ type: 'Conv' }),
    loss_mask: componentCfg.default({ type: 'CrossEntropyLoss', use_mask: true, loss_weight: 1.0 }),
    init_cfg: initCfg.nullable(),
  })
  .strict();
export type FCNMaskHeadOptions = z.input<typeof fcnMaskHeadOptions>;
type Parsed = z.output<typeof fcnMaskHeadOptions>;

/** loss_mask and the [M * h * w] 0/1 targets it was computed against. */
export interface MaskLossResult {
  loss: Tensor;
  targets: Uint8Array;
}

/**
 * mmdetection's FCNMaskHead: `num_convs` ConvModules (3x3, ReLU), an upsampling ×scale_factor
 * (`deconv`: ConvTranspose2d k = s = scale_factor followed by ReLU; or nearest / bilinear
 * resizing), then `conv_logits` (1x1, one channel per class, or one with class_agnostic).
 * _predict_by_feat_single is predictByFeat (the detection's own class channel, boxes divided by
 * scale_factor when rescaling: traceable) and pasteImage (pasted into the image and
 * thresholded at test_cfg.rcnn.mask_thr_binary, on the host).
 */
export class FCNMaskHead extends Module {
  readonly numClasses: number;
  readonly classAgnostic: boolean;
  readonly convs: ModuleList<ConvModule>;
  readonly upsample: ConvTranspose2d | null;
  readonly convLogits: Conv2d;
  private readonly upsampleMethod: 'deconv' | 'nearest' | 'bilinear' | null;
  private readonly scaleFactor: number;

  readonly lossMask: Loss;

  constructor(o: Parsed, ctx: BuildContext) {
    super();
    const loss = ctx.build(LOSSES, o.loss_mask, 'loss_mask');
    if (!(loss instanceof Loss)) throw ctx.error('loss_mask.type', 'is not a loss');
    this.lossMask = loss;
    this.numClasses = o.num_classes;
    this.classAgnostic = o.class_agnostic;
    this.upsampleMethod = o.upsample_cfg.type;
    this.scaleFactor = o.upsample_cfg.scale_factor;
    const norm = (o.norm_cfg ?? null) as NormConfig | null;
    const padding = Math.floor((o.conv_kernel_size - 1) / 2);
    const convs = Array.from(
      { length: o.num_convs },
      (_, i) => new ConvModule(i === 0 ? o.in_channels : o.conv_out_channels, o.conv_out_channels, o.conv_kernel_size, { padding, normCfg: norm }),
    );
    this.convs = this.addModule('convs', new ModuleList(convs));
    const upIn = o.num_convs > 0 ? o.conv_out_channels : o.in_channels;
    this.upsample =
      this.upsampleMethod === 'deconv'
        ? this.addModule('upsample', new ConvTranspose2d(upIn, o.conv_out_channels, this.scaleFactor, { stride: this.scaleFactor }))
        : null;
    const logitsIn = this.upsampleMethod === 'deconv' ? o.conv_out_channels : upIn;
    this.convLogits = this.addModule('conv_logits', new Conv2d(logitsIn, o.class_agnostic ? 1 : o.num_classes, 1));
    this.initCfg = o.init_cfg ?? null;
  }

  /** mmdetection's init_weights: Kaiming normal (fan_out, ReLU) on `upsample` and `conv_logits`, biases 0. */
  override defaultInit(): void {
    for (const m of [this.upsample, this.convLogits]) {
      if (!m) continue;
      kaimingNormal(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      if (m.bias) constantInit(m.bias, 0);
    }
  }

  /** Mask logits [R, C, 2S, 2S] of RoI features [R, in_channels, S, S]. */
  forward(x: Tensor): Tensor {
    for (const conv of this.convs) x = conv.forward(x);
    if (this.upsample) x = F.relu(this.upsample.forward(x));
    else if (this.upsampleMethod === 'nearest' || this.upsampleMethod === 'bilinear') {
      x = F.interpolate(x, { scaleFactor: this.scaleFactor, mode: this.upsampleMethod, alignCorners: false });
    }
    return this.convLogits.forward(x);
  }

  /** Size (h, w) of the masks for RoI features of `roiSize`. */
  outputSize(roiSize: readonly [number, number]): [number, number] {
    const k = this.upsampleMethod ? this.scaleFactor : 1;
    return [roiSize[0] * k, roiSize[1] * k];
  }

  /**
   * The channel of each RoI's own class: [R, C, h, w] and labels [R] → [R, h, w] (channel 0 with
   * class_agnostic), as a one-hot weighted sum over the channels: exact (one term is the value,
   * the others zero) and free of host indices, so it traces for any number of RoIs.
   */
  selectLabel(maskPreds: Tensor, labels: Tensor): Tensor {
    const [R, C, h, w] = maskPreds.shape;
    if (this.classAgnostic || C === 1) return F.reshape(maskPreds, [R, h, w]);
    const classes = F.constant({ dtype: 'int32', shape: [1, C, 1, 1], data: Int32Array.from({ length: C }, (_, c) => c) });
    const oneHot = F.cast(F.equal(F.reshape(F.cast(labels, 'int32'), [R, 1, 1, 1]), classes), 'float32');
    return F.sum(F.mul(maskPreds, oneHot), 1);
  }

  /**
   * mmdetection's FCNMaskHead.loss_and_target: the targets of every image's positive RoIs
   * (`maskTargets`, `train_cfg.rcnn.mask_size`), then `loss_mask` = loss_mask(logits [M, C, h, w],
   * targets, the RoIs' GT labels; label 0 with class_agnostic). No positive RoI: the sum of the
   * (empty) logits, 0 with a gradient path.
   */
  lossAndTarget(maskPreds: Tensor, results: readonly SamplingResult[], gtMasks: readonly BitmapMasks[], maskSize: readonly [number, number]): MaskLossResult {
    const targets = maskTargets(results, gtMasks, maskSize);
    const m = maskPreds.shape[0];
    if (m === 0) return { loss: F.sum(maskPreds), targets };
    const [h, w] = maskPreds.shape.slice(2);
    if (h !== maskSize[0] || w !== maskSize[1]) {
      throw new UserError(`${this.typeName}: mask logits are ${h}x${w} but train_cfg.rcnn.mask_size is ${maskSize[0]}x${maskSize[1]}`);
    }
    const labels = new Int32Array(m);
    if (!this.classAgnostic) {
      let at = 0;
      for (const r of results) labels.set(r.posGtLabels, (at += r.posGtLabels.length) - r.posGtLabels.length);
    }
    const target = F.constant(hostTensor('float32', [m, h, w], Float32Array.from(targets)));
    const args = { labels: F.constant(hostTensor('int32', [m], labels)) } as LossArgs;
    return { loss: this.lossMask.forward(maskPreds, target, args), targets };
  }

  /**
   * mmdetection's predict_by_feat up to the pasting: every image's detections (resized-image
   * frame) with their own-class mask probabilities `probs` [M_i, h, w]; with `rescale` the
   * boxes become original-image boxes (divided by scale_factor). `extra` adds per-image tensors
   * under their names. The pasting itself (`pasteImage`) runs on the host.
   */
  predictByFeat(
    probs: readonly Tensor[],
    detections: readonly Detections[],
    images: readonly ImageGeometry[],
    rescale: boolean,
    extra: (i: number) => [string, Tensor][] = () => [],
  ): RoIDetections[] {
    return detections.map((d, i) => {
      const bboxes = rescale && d.bboxes.shape[0] > 0 ? F.div(d.bboxes, images[i].scale) : d.bboxes;
      return { ...d, bboxes, maskProbs: probs[i], maskOutputs: new Map(extra(i)) };
    });
  }

  /**
   * One image's binary masks from its own-class probabilities [M, h, w] and its final boxes
   * [M, 4 or 5] (original-image pixels when `rescale`): pasted into ori_shape, or into
   * round(ori_shape * scale_factor) without `rescale`, and thresholded at
   * test_cfg.rcnn.mask_thr_binary.
   */
  pasteImage(probs: HostTensor, boxes: HostTensor, oriShape: [number, number], scaleFactor: [number, number], rescale: boolean, cfg: RCNNTestCfg | null): BitmapMasks {
    const thr = cfg?.mask_thr_binary;
    if (thr === undefined) throw new UserError(`${this.typeName}: predicting masks needs test_cfg.rcnn.mask_thr_binary`);
    if (thr < 0) throw new UserError(`${this.typeName}: test_cfg.rcnn.mask_thr_binary ${thr}: the 0..255 debugging maps of a negative threshold are not supported`);
    const [sw, sh] = scaleFactor;
    const [imgH, imgW] = rescale ? oriShape : [Math.round(oriShape[0] * sh), Math.round(oriShape[1] * sw)];
    const M = probs.shape[0];
    if (M === 0) return BitmapMasks.empty(imgH, imgW);
    const cols = boxes.shape[1];
    const b = boxes.data as Float32Array;
    const xyxy = cols === 4 ? b : Float32Array.from({ length: 4 * M }, (_, j) => b[cols * Math.floor(j / 4) + (j % 4)]);
    const [, h, w] = probs.shape;
    return pasteMasks(probs.data as Float32Array, M, h, w, xyxy, imgH, imgW, thr);
  }
}

HEADS.register(fcnMaskHeadOptions, (o: Parsed, ctx: BuildContext) => new FCNMaskHead(o, ctx), {
  name: 'FCNMaskHead',
  summary: 'Mask R-CNN mask head (mmdetection): convs, ×2 deconv, per-class 1x1 logits; masks pasted into the image',
});

declare module '../../../config/config-types' {
  interface HeadOptionsMap {
    FCNMaskHead: import('zod').input<typeof fcnMaskHeadOptions>;
  }
}
