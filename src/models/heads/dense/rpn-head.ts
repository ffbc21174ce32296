import { z } from 'zod';
import { UserError } from '../../../core/errors';
import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import { Conv2d } from '../../../nn/conv2d';
import { initCfg } from '../../../nn/option-schemas';
import type { BuildContext } from '../../../registry/build-context';
import { HEADS, LOSSES, TASK_UTILS } from '../../../registry/registries';
import type { DetDataSample } from '../../../structures/det-data-sample';
import type { LossDict } from '../../../structures/named-tensors';
import { componentCfg } from '../roi/component-cfg';
import { AnchorGenerator } from '../../task-modules/prior-generators/anchor-generator';
import { DeltaXYWHBBoxCoder } from '../../task-modules/coders/delta-xywh-bbox-coder';
import { BaseHead } from '../base-head';
import { indexTensor, nmsCfg } from '../roi/nms-cfg';
import { geometryOfSamples, imageShapeOf, type ImageGeometry } from '../roi/image-metas';
import { hostTensor } from '../../../core/host-tensor';
import type { Loss } from '../../losses/loss';
import type { AssignAndSample } from '../assign-and-sample';
import { hostGt } from '../host-gt';
import type { AnchorTrainCfg } from './anchor-train-cfg';
import { anchorImageTargets, type AnchorImageTargets } from './anchor-targets';

export const rpnTestCfg = z
  .object({
    /** Top-scoring anchors kept per level before NMS (-1: all). */
    nms_pre: z.number().int().default(-1),
    max_per_img: z.number().int().positive(),
    nms: nmsCfg,
    /** Boxes whose width or height is not above this are dropped (< 0: no filter). */
    min_bbox_size: z.number().default(-1),
  })
  .strict();
export type RPNTestCfg = z.output<typeof rpnTestCfg>;

export const rpnHeadOptions = z
  .object({
    in_channels: z.number().int().positive(),
    num_classes: z.literal(1).default(1),
    feat_channels: z.number().int().positive().default(256),
    /** mmdetection stacks ConvModules for more than one; only the single 3x3 conv is built. */
    num_convs: z.literal(1).default(1),
    anchor_generator: componentCfg,
    bbox_coder: componentCfg.default({ type: 'DeltaXYWHBBoxCoder' }),
    reg_decoded_bbox: z.boolean().default(false),
    loss_cls: componentCfg.default({ type: 'CrossEntropyLoss', use_sigmoid: true, loss_weight: 1.0 }),
    loss_bbox: componentCfg.default({ type: 'L1Loss', loss_weight: 1.0 }),
    train_cfg: z.record(z.unknown()).nullable().optional(),
    test_cfg: rpnTestCfg.nullable().optional(),
    init_cfg: initCfg.nullable(),
  })
  .strict();
export type RPNHeadOptions = z.input<typeof rpnHeadOptions>;

/** Raw RPN outputs per level: objectness logits [N, A, H, W] and deltas [N, 4A, H, W]. */
export interface RPNOutputs {
  clsScores: Tensor[];
  bboxPreds: Tensor[];
}

/**
 * mmdetection's RPNHead: a shared 3x3 conv + ReLU, then 1x1 `rpn_cls` (one sigmoid logit per
 * anchor) and `rpn_reg` (4 deltas per anchor). predictByFeat gives per image the proposals
 * [P, 5] (x1, y1, x2, y2, sigmoid score; input frame) as mmdetection's _bbox_post_process:
 * per-level top `nms_pre`, decode against the anchors, clip to img_shape, drop boxes not
 * larger than `min_bbox_size`, batched NMS with the level as class, first `max_per_img`.
 * The loss side (`lossByFeat`, `lossAndPredict`) is AnchorHead's with the train_cfg.rpn the
 * detector hands over (`setTrainCfg`); targets in `anchor-targets.ts`.
 */
export class RPNHead extends BaseHead<DetDataSample, RPNOutputs, Tensor[]> {
  readonly rpnConv: Conv2d;
  readonly rpnCls: Conv2d;
  readonly rpnReg: Conv2d;
  readonly anchorGenerator: AnchorGenerator;
  readonly bboxCoder: DeltaXYWHBBoxCoder;
  readonly numAnchors: number;
  testCfg: RPNTestCfg | null;
  trainCfg: AnchorTrainCfg | null = null;
  assignAndSample: AssignAndSample | null = null;
  readonly regDecodedBbox: boolean;
  readonly lossCls: Loss;
  readonly lossBbox: Loss;

  constructor(o: z.output<typeof rpnHeadOptions>, ctx: BuildContext) {
    super();
    const gen = ctx.build(TASK_UTILS, o.anchor_generator, 'anchor_generator');
    if (!(gen instanceof AnchorGenerator)) throw ctx.error('anchor_generator.type', 'RPNHead needs an AnchorGenerator');
    const coder = ctx.build(TASK_UTILS, o.bbox_coder, 'bbox_coder');
    if (!(coder instanceof DeltaXYWHBBoxCoder)) throw ctx.error('bbox_coder.type', 'RPNHead decodes with DeltaXYWHBBoxCoder');
    const perCell = new Set(gen.numBasePriors);
    if (perCell.size !== 1) throw ctx.error('anchor_generator', 'every level needs the same number of anchors per cell');
    this.lossCls = ctx.build(LOSSES, o.loss_cls, 'loss_cls') as Loss;
    this.lossBbox = ctx.build(LOSSES, o.loss_bbox, 'loss_bbox') as Loss;
    if ((o.loss_cls as { use_sigmoid?: boolean }).use_sigmoid !== true) {
      throw ctx.error('loss_cls.use_sigmoid', 'RPNHead scores anchors with one sigmoid logit: only true is accepted');
    }
    this.regDecodedBbox = o.reg_decoded_bbox;
    this.anchorGenerator = gen;
    this.bboxCoder = coder;
    this.numAnchors = gen.numBasePriors[0];
    this.rpnConv = this.addModule('rpn_conv', new Conv2d(o.in_channels, o.feat_channels, 3, { padding: 1 }));
    this.rpnCls = this.addModule('rpn_cls', new Conv2d(o.feat_channels, this.numAnchors * o.num_classes, 1));
    this.rpnReg = this.addModule('rpn_reg', new Conv2d(o.feat_channels, this.numAnchors * 4, 1));
    this.testCfg = o.test_cfg ?? null;
    this.initCfg = o.init_cfg ?? { type: 'Normal', layer: 'Conv2d', std: 0.01 };
  }

  forward(feats: readonly Tensor[]): RPNOutputs {
    if (feats.length !== this.anchorGenerator.numLevels) {
      throw new UserError(`RPNHead: ${feats.length} feature levels but the anchor generator has ${this.anchorGenerator.numLevels} strides`);
    }
    const clsScores: Tensor[] = [];
    const bboxPreds: Tensor[] = [];
    for (const x of feats) {
      const h = F.relu(this.rpnConv.forward(x));
      clsScores.push(this.rpnCls.forward(h));
      bboxPreds.push(this.rpnReg.forward(h));
    }
    return { clsScores, bboxPreds };
  }

  /** The train_cfg (mmdetection's `rpn_head.update(train_cfg=train_cfg.rpn)`) and the assigner / sampler built from it. */
  setTrainCfg(cfg: AnchorTrainCfg, parts: AssignAndSample): void {
    this.trainCfg = cfg;
    this.assignAndSample = parts;
  }

  /**
   * mmdetection's RPNHead.loss_by_feat (AnchorHead's, class-agnostic: every GT is class 0):
   * per level `loss_rpn_cls` (sigmoid CE of the objectness against positives 1 / negatives 0,
   * label weights from the targets) and `loss_rpn_bbox` (the bbox loss on the deltas, or on the
   * decoded boxes with reg_decoded_bbox, of the positives), each / avg_factor = the sum over
   * images of the sampling results' avg_factor. Lists with one entry per level.
   */
  lossByFeat(out: RPNOutputs, samples: readonly DetDataSample[]): LossDict {
    const targets = this.targets(out, samples);
    const lossCls: Tensor[] = [];
    const lossBbox: Tensor[] = [];
    const avgFactor = targets.avgFactor;
    let start = 0;
    out.clsScores.forEach((cls, l) => {
      const n = targets.levelSizes[l];
      const level = levelSlices(targets.images, start, n);
      const anchors = F.constant(hostTensor('float32', [n * samples.length, 4], tileRows(targets.anchors.subarray(4 * start, 4 * (start + n)), samples.length)));
      const score = F.reshape(F.transpose(cls, [0, 2, 3, 1]), [-1, 1]);
      const labels = F.constant(hostTensor('int32', [level.labels.length], level.labels));
      lossCls.push(this.lossCls.forward(score, labels, { weight: F.constant(hostTensor('float32', [level.labelWeights.length], level.labelWeights)), avgFactor }));
      let pred = F.reshape(F.transpose(out.bboxPreds[l], [0, 2, 3, 1]), [-1, 4]);
      if (this.regDecodedBbox) pred = this.bboxCoder.decode(anchors, pred);
      const m = level.labels.length;
      const bt = F.constant(hostTensor('float32', [m, 4], level.bboxTargets));
      lossBbox.push(this.lossBbox.forward(pred, bt, { weight: F.constant(hostTensor('float32', [m, 4], level.bboxWeights)), avgFactor }));
      start += n;
    });
    return new Map<string, Tensor[]>([
      ['loss_rpn_cls', lossCls],
      ['loss_rpn_bbox', lossBbox],
    ]);
  }

  /**
   * mmdetection's loss_and_predict: the losses and, from the same outputs, the proposals [P, 5]
   * per image under `proposalCfg` (train_cfg.rpn_proposal), detached from the graph.
   */
  lossAndPredict(feats: readonly Tensor[], samples: readonly DetDataSample[], proposalCfg: RPNTestCfg): { losses: LossDict; proposals: Tensor[] } {
    const out = this.forward(feats);
    const losses = this.lossByFeat(out, samples);
    const proposals = this.predictByFeat(out, samples, proposalCfg).map((p) => F.constant(F.toHost(p)));
    return { losses, proposals };
  }

  /** Per image the targets of every anchor (levels concatenated), the anchors and avg_factor. */
  targets(out: RPNOutputs, samples: readonly DetDataSample[]) {
    const parts = this.assignAndSample;
    const cfg = this.trainCfg;
    if (!parts || !cfg) throw new UserError("RPNHead: the 'loss' mode needs train_cfg.rpn (assigner, sampler, allowed_border, pos_weight) in the model config");
    const sizes = out.clsScores.map((t) => [t.shape[2], t.shape[3]] as [number, number]);
    const levels = this.anchorGenerator.gridPriors(sizes).map((a) => F.toHost(a).data as Float32Array);
    const anchors = concatFloat(levels);
    const options = { numClasses: 1, allowedBorder: cfg.allowed_border, posWeight: cfg.pos_weight, encode: (p: Float32Array, g: Float32Array) => this.encodeTargets(p, g) };
    const images = samples.map((s, i) => {
      const padShape = s.metainfo.pad_shape;
      if (!padShape) throw new UserError(`detection sample ${i} has no pad_shape in its metainfo (the RPN's valid anchors need it)`);
      const valid = concatBytes(this.anchorGenerator.validFlags(sizes, padShape));
      const { gt, ignore } = hostGt(s, i);
      // the RPN is class-agnostic: every GT is of class 0 (mmdetection's TwoStageDetector.loss)
      return anchorImageTargets(anchors, valid, imageShapeOf(s, i), { bboxes: gt.bboxes, labels: new Int32Array(gt.labels.length) }, ignore, parts, options);
    });
    const avgFactor = images.reduce((a, t) => a + t.avgFactor, 0);
    return { images, anchors, levelSizes: levels.map((a) => a.length / 4), avgFactor };
  }

  /** Regression targets of the positives: deltas, or the GT boxes themselves with reg_decoded_bbox. */
  private encodeTargets(priors: Float32Array, gts: Float32Array): Float32Array {
    if (this.regDecodedBbox) return gts;
    const t = (b: Float32Array) => F.constant(hostTensor('float32', [b.length / 4, 4], b));
    return Float32Array.from(F.toHost(this.bboxCoder.encode(t(priors), t(gts))).data as Float32Array);
  }

  /** Proposals [P, 5] per image (test_cfg.rpn, or the training proposal cfg). */
  predictByFeat(out: RPNOutputs, samples: readonly DetDataSample[], proposalCfg?: RPNTestCfg): Tensor[] {
    return this.proposalsByFeat(out, geometryOfSamples(samples), proposalCfg);
  }

  /** Proposals [P, 5] per image of the given geometry (tensors only: traces into ONNX). */
  proposalsByFeat(out: RPNOutputs, images: readonly ImageGeometry[], proposalCfg?: RPNTestCfg): Tensor[] {
    const cfg = proposalCfg ?? this.testCfg;
    if (!cfg) throw new UserError('RPNHead: predicting proposals needs test_cfg.rpn (nms_pre, max_per_img, nms, min_bbox_size)');
    const sizes = out.clsScores.map((t) => [t.shape[2], t.shape[3]] as [number, number]);
    const anchors = this.anchorGenerator.gridPriors(sizes);
    return images.map((g, i) => this.imageProposals(out, anchors, i, g.clip, cfg));
  }

  /**
   * One image's proposals. Boxes not larger than min_bbox_size stay in place as non-candidates
   * of the NMS (batchedNms `valid`) rather than being selected out: same proposals, and no
   * data-dependent size before the NMS.
   */
  private imageProposals(out: RPNOutputs, anchors: Tensor[], img: number, clip: Tensor, cfg: RPNTestCfg): Tensor {
    const boxes: Tensor[] = [];
    const scores: Tensor[] = [];
    const levels: number[] = [];
    out.clsScores.forEach((cls, l) => {
      let score = F.sigmoid(F.reshape(F.transpose(F.narrow(cls, 0, img, 1), [0, 2, 3, 1]), [-1]));
      let delta = F.reshape(F.transpose(F.narrow(out.bboxPreds[l], 0, img, 1), [0, 2, 3, 1]), [-1, 4]);
      let prior = anchors[l];
      if (cfg.nms_pre > 0 && score.shape[0] > cfg.nms_pre) {
        const top = F.topk(score, cfg.nms_pre);
        score = top.values;
        delta = F.gather(delta, top.indices);
        prior = F.gather(prior, top.indices);
      }
      boxes.push(this.bboxCoder.decode(prior, delta, clip));
      scores.push(score);
      for (let k = 0; k < score.shape[0]; k++) levels.push(l);
    });
    const box = F.concat(boxes, 0);
    const score = F.concat(scores, 0);
    const valid = cfg.min_bbox_size >= 0 ? largerThan(box, cfg.min_bbox_size) : undefined;
    const keep = F.batchedNms(box, score, indexTensor(levels), { iouThreshold: cfg.nms.iou_threshold, maxOutput: cfg.max_per_img, valid });
    return F.concat([F.gather(box, keep), F.reshape(F.gather(score, keep), [-1, 1])], 1);
  }
}

/** Rows [start, start + n) of every image's targets, image after image (one level of the batch). */
function levelSlices(images: readonly AnchorImageTargets[], start: number, n: number) {
  const cat = <T extends Float32Array | Int32Array>(pick: (t: AnchorImageTargets) => T, width: number, make: (len: number) => T): T => {
    const out = make(images.length * n * width);
    images.forEach((t, i) => out.set(pick(t).subarray(width * start, width * (start + n)), i * n * width));
    return out;
  };
  return {
    labels: cat((t) => t.labels, 1, (k) => new Int32Array(k)),
    labelWeights: cat((t) => t.labelWeights, 1, (k) => new Float32Array(k)),
    bboxTargets: cat((t) => t.bboxTargets, 4, (k) => new Float32Array(k)),
    bboxWeights: cat((t) => t.bboxWeights, 4, (k) => new Float32Array(k)),
  };
}

function concatFloat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

/** `rows` repeated `times` times (the same anchors for every image of the batch). */
function tileRows(rows: Float32Array, times: number): Float32Array {
  const out = new Float32Array(rows.length * times);
  for (let i = 0; i < times; i++) out.set(rows, i * rows.length);
  return out;
}

/** Whether each box [N, 4] has width and height > `min` (float32, as torch compares): [N] bool. */
function largerThan(boxes: Tensor, min: number): Tensor {
  const wh = F.sub(F.narrow(boxes, 1, 2, 2), F.narrow(boxes, 1, 0, 2));
  return F.reshape(F.greater(F.min(wh, 1, true), min), [-1]);
}

HEADS.register(rpnHeadOptions, (o: z.output<typeof rpnHeadOptions>, ctx: BuildContext) => new RPNHead(o, ctx), {
  name: 'RPNHead',
  summary: 'Region proposal head (mmdetection): 3x3 conv, per-anchor objectness and deltas, proposals by per-level top-k and NMS',
});

declare module '../../../config/config-types' {
  interface HeadOptionsMap {
    RPNHead: import('zod').input<typeof rpnHeadOptions>;
  }
}
