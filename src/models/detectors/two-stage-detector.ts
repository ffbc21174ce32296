import { z } from 'zod';
import { UserError } from '../../core/errors';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';
import { initCfg } from '../../nn/option-schemas';
import type { BuildContext } from '../../registry/build-context';
import { HEADS } from '../../registry/registries';
import { DetDataSample } from '../../structures/det-data-sample';
import { InstanceData } from '../../structures/instance-data';
import { Boxes } from '../../structures/boxes';
import type { ForwardMode, LossDict, NamedTensors, OutputRule, TensorInputSpec } from '../base-model';
import { hostTensor, type HostTensor } from '../../core/host-tensor';
import type { BitmapMasks } from '../../structures/masks';
import { geometryOfSamples, geometryOfTensors, imageShapeOf, scaleFactorOf, type ImageGeometry } from '../heads/roi/image-metas';
import type { DataSample } from '../../structures/data-sample';
import { componentCfg, FeatureModel } from '../feature-model';
import { RPNHead, rpnTestCfg } from '../heads/dense/rpn-head';
import { rcnnTestCfg } from '../heads/roi/rcnn-test-cfg';
import { StandardRoIHead } from '../heads/roi/standard-roi-head';
import { CascadeRoIHead } from '../heads/roi/cascade-roi-head';
import type { RPNTestCfg } from '../heads/dense/rpn-head';
import { anchorTrainCfg } from '../heads/dense/anchor-train-cfg';
import { rcnnTrainCfg, type RCNNTrainCfg } from '../heads/roi/rcnn-train-cfg';
import { AssignAndSample } from '../heads/assign-and-sample';
import { isRoIHead, type RoIDetections, type RoIHead } from '../heads/roi/roi-head';
import { roiHeadWithPyramid, rpnHeadWithPyramid } from './pyramid-defaults';

export const twoStageDetectorSchema = z
  .object({
    backbone: componentCfg,
    neck: componentCfg.nullable().optional(),
    rpn_head: componentCfg,
    roi_head: componentCfg,
    /** mmdetection's training settings: handed to the RPN (`rpn`), its training proposals (`rpn_proposal`) and the RoI head (`rcnn`; a list for cascades). */
    train_cfg: z
      .object({
        rpn: anchorTrainCfg,
        rpn_proposal: rpnTestCfg.optional(),
        rcnn: z.union([rcnnTrainCfg, z.array(rcnnTrainCfg)]),
      })
      .strict()
      .nullable()
      .optional(),
    test_cfg: z.object({ rpn: rpnTestCfg, rcnn: rcnnTestCfg }).strict().nullable().optional(),
    data_preprocessor: componentCfg.nullable().optional(),
    init_cfg: initCfg.nullable(),
  })
  .strict();
export type TwoStageDetectorOptions = z.output<typeof twoStageDetectorSchema>;

/**
 * mmdetection's TwoStageDetector test path: backbone → neck → RPNHead proposals → RoI head
 * detections. `tensor` mode names every stage as the detector fixtures do (`neck.l`,
 * `rpn_cls.l`, `rpn_reg.l`, `proposals`, `roi_feats`, `rcnn_cls_score`, `rcnn_bbox_pred`,
 * `dets`, `labels`; the RoI head adds its own: cascade stages `rois.s`, ..., masks `masks`;
 * per-image results get `.i` for batches of several images). The samples'
 * metas give img_shape and scale_factor; without samples every image is its whole input
 * at scale 1. `dets` are in original-image pixels (mmdetection's rescale=True). `loss` is
 * the training path with the heads' train_cfg (rpn, rpn_proposal, rcnn).
 */
export abstract class TwoStageDetector extends FeatureModel<DetDataSample> {
  /** 'loss' where the RoI head has its loss side (StandardRoIHead, CascadeRoIHead, with or without masks). */
  override readonly modes: readonly ForwardMode[];
  /** The whole test path traces into ONNX, for the traced batch and image size. */
  override readonly exportable = true;
  /** Anchors, per-image loops and RoI counts are fixed at the traced size: no dynamic axes. */
  override readonly dynamicShapes = false;
  readonly rpnHead: RPNHead;
  readonly roiHead: RoIHead;
  /** The RPN's training proposals: train_cfg.rpn_proposal, else test_cfg.rpn (mmdetection's fallback). */
  readonly proposalCfg: RPNTestCfg | null;

  protected constructor(o: TwoStageDetectorOptions, ctx: BuildContext) {
    super(o, ctx);
    // what the heads would only repeat from the pyramid (channels, strides) may be left out
    const pyramid = this.outputShape();
    const rpn = ctx.build(HEADS, rpnHeadWithPyramid(o.rpn_head, pyramid), 'rpn_head');
    if (!(rpn instanceof RPNHead)) throw ctx.error('rpn_head.type', 'a two-stage detector needs an RPNHead');
    const roi = ctx.build(HEADS, roiHeadWithPyramid(o.roi_head, pyramid), 'roi_head');
    if (!isRoIHead(roi)) throw ctx.error('roi_head.type', 'a two-stage detector needs a RoI head (StandardRoIHead, CascadeRoIHead)');
    const levels = this.outputShape();
    const rpnIn = (o.rpn_head as { in_channels?: number }).in_channels;
    if (rpnIn !== undefined && levels.some((s) => s.channels !== rpnIn)) {
      throw ctx.error('rpn_head.in_channels', `${rpnIn} does not match the neck's output channels ${levels.map((s) => s.channels).join(', ')}`);
    }
    // mmdetection hands test_cfg.rpn / test_cfg.rcnn to the heads
    if (o.test_cfg) {
      rpn.testCfg = o.test_cfg.rpn;
      roi.testCfg = o.test_cfg.rcnn;
    }
    if (o.train_cfg) {
      rpn.setTrainCfg(o.train_cfg.rpn, AssignAndSample.build(ctx, o.train_cfg.rpn, 'train_cfg.rpn'));
      this.setRoITrainCfg(roi, o.train_cfg.rcnn, ctx);
    }
    this.proposalCfg = o.train_cfg?.rpn_proposal ?? o.test_cfg?.rpn ?? null;
    this.modes = trainsBoxes(roi) ? ['tensor', 'predict', 'loss'] : ['tensor', 'predict'];
    this.rpnHead = this.addModule('rpn_head', rpn);
    this.roiHead = this.addModule('roi_head', roi);
    this.initCfg = o.init_cfg ?? null;
  }

  /**
   * Besides `input`: per image `img_shape` [N, 2] (h, w; what boxes are clipped to) and
   * `scale_factor` [N, 2] (w, h; resized over original size), float32, so that an exported
   * graph serves any image of the traced input size. The example is the whole input at scale 1.
   */
  override tensorInputs(imageShape: readonly number[]): TensorInputSpec[] {
    const [n, , h, w] = imageShape;
    const rows = (a: number, b: number) => () => hostTensor('float32', [n, 2], Float32Array.from({ length: 2 * n }, (_, k) => (k % 2 === 0 ? a : b)));
    const metas = (pick: (s: DetDataSample, i: number) => readonly number[]) => (samples: readonly DataSample[]) => {
      if (samples.length !== n) throw new UserError(`${this.typeName}: ${samples.length} image metas for a batch of ${n}`);
      return hostTensor('float32', [n, 2], Float32Array.from(samples.flatMap((s, i) => [...pick(s as DetDataSample, i)])));
    };
    return [
      ...super.tensorInputs(imageShape),
      { name: 'img_shape', dtype: 'float32', shape: [n, 2], axes: ['batch', null], example: rows(h, w), fromSamples: metas((s, i) => imageShapeOf(s, i)) },
      { name: 'scale_factor', dtype: 'float32', shape: [n, 2], axes: ['batch', null], example: rows(1, 1), fromSamples: metas((s) => scaleFactorOf(s)) },
    ];
  }

  /**
   * The image geometry of a tensor-mode call: the `img_shape` / `scale_factor` inputs when
   * given, else the samples' metas, else every image is its whole input at scale 1.
   */
  private geometry(inputs: ReadonlyMap<string, Tensor>, x: Tensor, samples?: readonly DetDataSample[]): ImageGeometry[] {
    const imgShape = inputs.get('img_shape');
    const scale = inputs.get('scale_factor');
    if (imgShape && scale) {
      for (const [k, t] of [['img_shape', imgShape], ['scale_factor', scale]] as const) {
        if (t.shape.length !== 2 || t.shape[0] !== x.shape[0] || t.shape[1] !== 2) throw new UserError(`${this.typeName}: '${k}' must be [${x.shape[0]}, 2], got [${t.shape.join(', ')}]`);
      }
      return geometryOfTensors(imgShape, scale);
    }
    if (imgShape || scale) throw new UserError(`${this.typeName}: 'img_shape' and 'scale_factor' go together (got only '${imgShape ? 'img_shape' : 'scale_factor'}')`);
    return geometryOfSamples(samples ?? wholeImageSamples(x));
  }

  /**
   * The test path on tensors (what `hrdet export` traces): features, RPN outputs, proposals,
   * the RoI head's outputs and per image `dets` [M, 5], `labels` [M] and, with a mask head,
   * `masks` [M, h, w]: each detection's own-class mask probabilities, not pasted (see
   * `pasteMaskOutputs`).
   */
  forwardTensor(inputs: ReadonlyMap<string, Tensor>, samples?: readonly DetDataSample[]): NamedTensors {
    const x = this.image(inputs);
    const named: NamedTensors = new Map();
    const feats = this.extractFeat(x, named);
    const images = this.geometry(inputs, x, samples);
    const rpnOut = this.rpnHead.forward(feats);
    rpnOut.clsScores.forEach((t, l) => named.set(`rpn_cls.${l}`, t));
    rpnOut.bboxPreds.forEach((t, l) => named.set(`rpn_reg.${l}`, t));
    const proposals = this.rpnHead.proposalsByFeat(rpnOut, images);
    const res = this.roiHead.predict(feats, proposals, images, true);
    const suffix = (i: number) => (images.length > 1 ? `.${i}` : '');
    proposals.forEach((p, i) => named.set(`proposals${suffix(i)}`, p));
    for (const [k, v] of res.named) named.set(k, v);
    res.detections.forEach((d, i) => {
      named.set(`dets${suffix(i)}`, F.concat([d.bboxes, F.reshape(d.scores, [-1, 1])], 1));
      named.set(`labels${suffix(i)}`, d.labels);
      for (const [k, v] of d.maskOutputs ?? []) named.set(`${k}${suffix(i)}`, v);
      if (d.maskProbs) named.set(`masks${suffix(i)}`, d.maskProbs);
    });
    return named;
  }

  /**
   * Host post-processing of tensor-mode outputs (either engine's) for the batch's samples (one
   * per image; `wholeImageSamples` without metas): every `masks(.i)` of probabilities [M, h, w]
   * pasted into its image (ori_shape) with its `dets(.i)` boxes and thresholded at
   * mask_thr_binary, as bool [M, H, W]. Outputs of a model without a mask head come back as
   * they are.
   */
  override hostOutputs(outputs: ReadonlyMap<string, HostTensor>, inputShape: readonly number[], samples?: readonly DetDataSample[]): Map<string, HostTensor> {
    return this.pasteMaskOutputs(outputs, samples ?? wholeImageSamples({ shape: inputShape }));
  }

  pasteMaskOutputs(outputs: ReadonlyMap<string, HostTensor>, samples: readonly DetDataSample[]): Map<string, HostTensor> {
    const out = new Map(outputs);
    if (!this.roiHead.withMask) return out;
    samples.forEach((sample, i) => {
      const sfx = samples.length > 1 ? `.${i}` : '';
      const [probs, dets] = [outputs.get(`masks${sfx}`), outputs.get(`dets${sfx}`)];
      if (!probs || !dets) throw new UserError(`${this.typeName}: pasting masks needs 'masks${sfx}' and 'dets${sfx}' among the outputs`);
      const m = this.roiHead.pasteMasks(probs, dets, sample, true);
      out.set(`masks${sfx}`, hostTensor('bool', [m.length, m.height, m.width], m.data));
    });
    return out;
  }

  /** Boxes after the NMS stages, labels, and RoI-level tensors (everything the proposals feed) by their own rules. */
  override outputRule(name: string): OutputRule {
    const base = name.replace(/\.\d+$/, '');
    if (base === 'proposals' || base === 'dets' || base === 'rois') return 'boxes';
    if (base === 'labels') return 'labels';
    return name.startsWith('neck.') || name.startsWith('backbone.') || name.startsWith('rpn_') ? 'dense' : 'roi';
  }

  /** Names for a batch of one image (per-image results take `.i` for several). */
  outputNames(batch = 1): string[] {
    const levels = this.outputShape().map((_, l) => l);
    const perImage = (names: string[]) => (batch > 1 ? Array.from({ length: batch }, (_, i) => names.map((n) => `${n}.${i}`)).flat() : names);
    return [
      ...this.featureNames(),
      ...levels.map((l) => `rpn_cls.${l}`),
      ...levels.map((l) => `rpn_reg.${l}`),
      ...perImage(['proposals']),
      ...this.roiHead.outputNames().rois,
      ...perImage(['dets', 'labels', ...this.roiHead.outputNames().perImage]),
    ];
  }

  /** `pred_instances` of every sample: boxes in original-image pixels, scores, labels (and bitmap masks with a mask head). */
  override predict(inputs: Tensor, samples: readonly DetDataSample[]): DetDataSample[] {
    const feats = this.extractFeat(inputs);
    const images = geometryOfSamples(samples);
    const proposals = this.rpnHead.proposalsByFeat(this.rpnHead.forward(feats), images);
    const { detections } = this.roiHead.predict(feats, proposals, images, true);
    return samples.map((s, i) => {
      const d = detections[i];
      const masks = d.maskProbs ? this.roiHead.pasteMasks(F.toHost(d.maskProbs), F.toHost(d.bboxes), s, true) : undefined;
      s.pred_instances = predInstances(d, masks);
      return s;
    });
  }

  /** Hands train_cfg.rcnn to the RoI head: one config for a StandardRoIHead, a list of one per stage for a CascadeRoIHead. */
  protected setRoITrainCfg(roi: RoIHead, cfg: RCNNTrainCfg | RCNNTrainCfg[], ctx: BuildContext): void {
    if (roi instanceof StandardRoIHead) {
      if (Array.isArray(cfg)) throw ctx.error('train_cfg.rcnn', 'StandardRoIHead trains with one rcnn config (a list is for cascade RoI heads)');
      roi.setTrainCfg(cfg, AssignAndSample.build(ctx, cfg, 'train_cfg.rcnn'));
    } else if (roi instanceof CascadeRoIHead) {
      if (!Array.isArray(cfg) || cfg.length !== roi.numStages) {
        throw ctx.error('train_cfg.rcnn', `CascadeRoIHead needs a list of ${roi.numStages} rcnn configs (one per stage)${Array.isArray(cfg) ? `, got ${cfg.length}` : ''}`);
      }
      roi.setTrainCfg(cfg, cfg.map((c, s) => AssignAndSample.build(ctx, c, `train_cfg.rcnn.${s}`)));
    }
  }

  /**
   * mmdetection's TwoStageDetector.loss (call `train()` first): the RPN's losses
   * (`loss_rpn_cls`, `loss_rpn_bbox`, one per level) against class-agnostic GT and its detached
   * training proposals, then the RoI head's losses on them (`loss_cls`, `acc`, `loss_bbox`,
   * `loss_mask`; a cascade's per stage as `s0.loss_cls`, ...).
   */
  override loss(inputs: Tensor, samples: readonly DetDataSample[]): LossDict {
    const roiHead = this.roiHead;
    if (!trainsBoxes(roiHead)) throw new UserError(`${this.typeName}: the 'loss' mode of ${roiHead.typeName} is not available`);
    if (!this.proposalCfg || !this.rpnHead.trainCfg || !roiHead.trainCfg) throw new UserError(`${this.typeName}: the 'loss' mode needs train_cfg (rpn, rpn_proposal, rcnn) in the model config`);
    const feats = this.extractFeat(inputs);
    const rpn = this.rpnHead.lossAndPredict(feats, samples, this.proposalCfg);
    const roi = roiHead.loss(feats, rpn.proposals, samples);
    return new Map([...rpn.losses, ...roi.losses]);
  }
}

/** One image's detections on the host, under mmdetection's field names. */
function predInstances(d: RoIDetections, masks?: BitmapMasks): InstanceData {
  return new InstanceData({
    bboxes: new Boxes(F.toHost(d.bboxes).data as Float32Array),
    scores: F.toHost(d.scores).data as Float32Array,
    labels: Int32Array.from(F.toHost(d.labels).data as ArrayLike<number>),
    ...(masks ? { masks } : {}),
  });
}

/** Whether the RoI head has its loss side (StandardRoIHead and CascadeRoIHead, mask branches included). */
function trainsBoxes(roi: RoIHead): roi is StandardRoIHead | CascadeRoIHead {
  return roi instanceof StandardRoIHead || roi instanceof CascadeRoIHead;
}

/** Samples for a batch without metas: each image is the whole input, unscaled. */
export function wholeImageSamples(x: { shape: readonly number[] }): DetDataSample[] {
  const [n, , h, w] = x.shape;
  return Array.from({ length: n }, () => new DetDataSample({ img_shape: [h, w], ori_shape: [h, w], pad_shape: [h, w], scale_factor: [1, 1] }));
}

