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
import { batchedNmsKeep, indexTensor, nmsCfg } from '../roi/nms-cfg';
import { imageShapeOf } from '../roi/image-metas';

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
 */
export class RPNHead extends BaseHead<DetDataSample, RPNOutputs, Tensor[]> {
  readonly rpnConv: Conv2d;
  readonly rpnCls: Conv2d;
  readonly rpnReg: Conv2d;
  readonly anchorGenerator: AnchorGenerator;
  readonly bboxCoder: DeltaXYWHBBoxCoder;
  readonly numAnchors: number;
  testCfg: RPNTestCfg | null;

  constructor(o: z.output<typeof rpnHeadOptions>, ctx: BuildContext) {
    super();
    const gen = ctx.build(TASK_UTILS, o.anchor_generator, 'anchor_generator');
    if (!(gen instanceof AnchorGenerator)) throw ctx.error('anchor_generator.type', 'RPNHead needs an AnchorGenerator');
    const coder = ctx.build(TASK_UTILS, o.bbox_coder, 'bbox_coder');
    if (!(coder instanceof DeltaXYWHBBoxCoder)) throw ctx.error('bbox_coder.type', 'RPNHead decodes with DeltaXYWHBBoxCoder');
    const perCell = new Set(gen.numBasePriors);
    if (perCell.size !== 1) throw ctx.error('anchor_generator', 'every level needs the same number of anchors per cell');
    // the loss side builds these; building them now checks the config
    ctx.build(LOSSES, o.loss_cls, 'loss_cls');
    ctx.build(LOSSES, o.loss_bbox, 'loss_bbox');
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

  lossByFeat(_out: RPNOutputs, _samples: readonly DetDataSample[]): LossDict {
    throw new UserError("RPNHead: the 'loss' mode is not available yet (inference only)");
  }

  /** Proposals [P, 5] per image. */
  predictByFeat(out: RPNOutputs, samples: readonly DetDataSample[]): Tensor[] {
    const cfg = this.testCfg;
    if (!cfg) throw new UserError('RPNHead: predicting proposals needs test_cfg.rpn (nms_pre, max_per_img, nms, min_bbox_size)');
    const sizes = out.clsScores.map((t) => [t.shape[2], t.shape[3]] as [number, number]);
    const anchors = this.anchorGenerator.gridPriors(sizes);
    return samples.map((s, i) => this.imageProposals(out, anchors, i, imageShapeOf(s, i), cfg));
  }

  private imageProposals(out: RPNOutputs, anchors: Tensor[], img: number, imgShape: [number, number], cfg: RPNTestCfg): Tensor {
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
      boxes.push(this.bboxCoder.decode(prior, delta, imgShape));
      scores.push(score);
      for (let k = 0; k < score.shape[0]; k++) levels.push(l);
    });
    let box = F.concat(boxes, 0);
    let score = F.concat(scores, 0);
    let level = indexTensor(levels);
    if (cfg.min_bbox_size >= 0) {
      const keep = largerThan(box, cfg.min_bbox_size);
      if (keep.length < box.shape[0]) {
        const k = indexTensor(keep);
        [box, score, level] = [F.gather(box, k), F.gather(score, k), F.gather(level, k)];
      }
    }
    const keep = indexTensor(batchedNmsKeep(box, score, level, cfg.nms, cfg.max_per_img));
    return F.concat([F.gather(box, keep), F.reshape(F.gather(score, keep), [-1, 1])], 1);
  }
}

/** Indices of the boxes [N, 4] whose width and height are both > `min`. */
function largerThan(boxes: Tensor, min: number): Int32Array {
  const b = F.toHost(boxes).data as Float32Array;
  const keep: number[] = [];
  for (let i = 0; i < b.length / 4; i++) if (b[4 * i + 2] - b[4 * i] > min && b[4 * i + 3] - b[4 * i + 1] > min) keep.push(i);
  return Int32Array.from(keep);
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
