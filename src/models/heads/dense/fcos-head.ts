import { z } from 'zod';
import { BaseHead } from '../base-head';
import { UserError } from '../../../core/errors';
import * as F from '../../../core/ops';
import { hostTensor } from '../../../core/host-tensor';
import type { Module } from '../../../core/module';
import type { Tensor } from '../../../core/tensor';
import { Conv2d } from '../../../nn/conv2d';
import { ConvModule } from '../../../nn/conv-module';
import { ModuleList } from '../../../nn/containers';
import { Scale } from '../../../nn/scale';
import type { NormConfig } from '../../../nn/norm';
import { convCfg, initCfg, normCfg } from '../../../nn/option-schemas';
import type { InitCfg } from '../../../nn/init/init-cfg';
import { Boxes } from '../../../structures/boxes';
import type { DetDataSample } from '../../../structures/det-data-sample';
import { InstanceData } from '../../../structures/instance-data';
import type { LossDict, NamedTensors } from '../../../structures/named-tensors';
import { HEADS, LOSSES, TASK_UTILS } from '../../../registry/registries';
import type { BuildContext } from '../../../registry/build-context';
import type { HostGtInstances } from '../../task-modules/host-boxes';
import { MlvlPointGenerator } from '../../task-modules/prior-generators/mlvl-point-generator';
import type { DistancePointBBoxCoder } from '../../task-modules/coders/distance-point-bbox-coder';
import { denseTestCfgSchema, type DenseTestCfg } from './dense-test-cfg';
import { filterScoresAndTopk } from './filter-scores-and-topk';
import { bboxPostProcess, type HostDetections } from './bbox-post-process';
import type { Loss } from '../../losses/loss';
import { hostGt } from '../host-gt';
import { centernessTargets, fcosImageTargets, type FCOSTargetCfg } from './fcos-targets';

const componentCfg = z.object({ type: z.string() }).passthrough();
/** mmdetection's INF for the last regress range. */
const INF = 1e8;

export const fcosHeadSchema = z
  .object({
    num_classes: z.number().int().positive(),
    in_channels: z.number().int().positive(),
    feat_channels: z.number().int().positive().default(256),
    stacked_convs: z.number().int().min(0).default(4),
    strides: z.array(z.number().int().positive()).min(1).default([4, 8, 16, 32, 64]),
    /** Training only (target assignment, built with the loss side): per-level (min, max) regression ranges. */
    regress_ranges: z
      .array(z.tuple([z.number(), z.number()]))
      .default([[-1, 64], [64, 128], [128, 256], [256, 512], [512, INF]]),
    /** Training only: positive samples restricted to a radius around the box centre. */
    center_sampling: z.boolean().default(false),
    center_sample_radius: z.number().positive().default(1.5),
    norm_on_bbox: z.boolean().default(false),
    centerness_on_reg: z.boolean().default(false),
    /** Deformable convolution is not available in hrdet. */
    dcn_on_last_conv: z.literal(false, { errorMap: () => ({ message: 'deformable convolution (DCN) is not available; only false is accepted' }) }).default(false),
    /** 'auto' (mmcv): a bias only when the tower has no norm layer. */
    conv_bias: z.union([z.boolean(), z.literal('auto')]).default('auto'),
    conv_cfg: convCfg,
    norm_cfg: normCfg.nullable().default({ type: 'GN', num_groups: 32, requires_grad: true }),
    loss_cls: componentCfg.default({ type: 'FocalLoss', use_sigmoid: true, gamma: 2.0, alpha: 0.25, loss_weight: 1.0 }),
    loss_bbox: componentCfg.default({ type: 'IoULoss', loss_weight: 1.0 }),
    loss_centerness: componentCfg.default({ type: 'CrossEntropyLoss', use_sigmoid: true, loss_weight: 1.0 }),
    bbox_coder: componentCfg.default({ type: 'DistancePointBBoxCoder' }),
    /** Training only; the detector passes its own (mmdetection's bbox_head.update(train_cfg=...)). */
    train_cfg: z.record(z.unknown()).nullable().optional(),
    test_cfg: denseTestCfgSchema.nullable().optional(),
    init_cfg: initCfg,
  })
  .strict();
export type FCOSHeadOptions = z.input<typeof fcosHeadSchema>;
type Parsed = z.output<typeof fcosHeadSchema>;

/** mmdetection's FCOSHead init_cfg: Normal(0.01) on every conv, `conv_cls` bias from a 1% prior. */
export const FCOS_HEAD_DEFAULT_INIT: InitCfg = {
  type: 'Normal',
  layer: 'Conv2d',
  std: 0.01,
  override: { type: 'Normal', name: 'conv_cls', std: 0.01, bias_prob: 0.01 },
};

/** What `forward` returns: one map per level. */
export interface FCOSHeadOutputs {
  /** [N, K, H, W] class logits. */
  clsScores: Tensor[];
  /** [N, 4, H, W] distances (l, t, r, b) in input pixels at test time. */
  bboxPreds: Tensor[];
  /** [N, 1, H, W] centerness logits. */
  centernesses: Tensor[];
}

/**
 * mmdetection's FCOSHead: per level, a classification and a regression tower of
 * `stacked_convs` x (3x3 conv + norm + ReLU), then 3x3 `conv_cls`, `conv_reg` and
 * `conv_centerness` (on the regression tower with `centerness_on_reg`). Distances are
 * `Scale_l(conv_reg)`, then ReLU'd and (at test time) multiplied by the level's stride with
 * `norm_on_bbox`, else exp'ed. `predictByFeat` is BaseDenseHead's test path with centerness
 * as score factor; `lossByFeat` is mmdetection's loss_by_feat (targets in `fcos-targets.ts`).
 */
export class FCOSHead extends BaseHead<DetDataSample, FCOSHeadOutputs, InstanceData[]> {
  readonly numClasses: number;
  readonly strides: readonly number[];
  readonly normOnBbox: boolean;
  readonly centernessOnReg: boolean;
  readonly regressRanges: readonly (readonly [number, number])[];
  readonly centerSampling: boolean;
  readonly centerSampleRadius: number;
  readonly trainCfg: Record<string, unknown> | null;
  readonly testCfg: DenseTestCfg | null;
  readonly cls_convs: ModuleList<ConvModule>;
  readonly reg_convs: ModuleList<ConvModule>;
  readonly conv_cls: Conv2d;
  readonly conv_reg: Conv2d;
  readonly conv_centerness: Conv2d;
  readonly scales: ModuleList<Scale>;
  readonly priorGenerator: MlvlPointGenerator;
  readonly bboxCoder: DistancePointBBoxCoder;
  /** Built from LOSSES for the loss side (mmdetection's loss_cls, loss_bbox, loss_centerness). */
  readonly losses: { cls: Module; bbox: Module; centerness: Module };

  constructor(o: Parsed, ctx: BuildContext) {
    super();
    checkOptions(o, ctx);
    this.numClasses = o.num_classes;
    this.strides = o.strides;
    this.normOnBbox = o.norm_on_bbox;
    this.centernessOnReg = o.centerness_on_reg;
    this.regressRanges = o.regress_ranges;
    this.centerSampling = o.center_sampling;
    this.centerSampleRadius = o.center_sample_radius;
    this.trainCfg = o.train_cfg ?? null;
    this.testCfg = o.test_cfg ?? null;
    this.cls_convs = this.addModule('cls_convs', tower(o));
    this.reg_convs = this.addModule('reg_convs', tower(o));
    const k3 = { padding: 1 };
    this.conv_cls = this.addModule('conv_cls', new Conv2d(o.feat_channels, o.num_classes, 3, k3));
    this.conv_reg = this.addModule('conv_reg', new Conv2d(o.feat_channels, 4, 3, k3));
    this.conv_centerness = this.addModule('conv_centerness', new Conv2d(o.feat_channels, 1, 3, k3));
    this.scales = this.addModule('scales', new ModuleList(o.strides.map(() => new Scale(1.0))));
    this.priorGenerator = new MlvlPointGenerator({ strides: [...o.strides], offset: 0.5 });
    this.bboxCoder = ctx.build(TASK_UTILS, o.bbox_coder, 'bbox_coder') as DistancePointBBoxCoder;
    this.losses = {
      cls: ctx.build(LOSSES, o.loss_cls, 'loss_cls') as Module,
      bbox: ctx.build(LOSSES, o.loss_bbox, 'loss_bbox') as Module,
      centerness: ctx.build(LOSSES, o.loss_centerness, 'loss_centerness') as Module,
    };
    this.initCfg = o.init_cfg ?? FCOS_HEAD_DEFAULT_INIT;
  }

  forward(feats: readonly Tensor[]): FCOSHeadOutputs {
    if (feats.length !== this.strides.length) {
      throw new UserError(`FCOSHead has ${this.strides.length} strides but got ${feats.length} feature levels`);
    }
    const out: FCOSHeadOutputs = { clsScores: [], bboxPreds: [], centernesses: [] };
    feats.forEach((x, l) => {
      const clsFeat = runTower(this.cls_convs, x);
      const regFeat = runTower(this.reg_convs, x);
      out.clsScores.push(this.conv_cls.forward(clsFeat));
      out.centernesses.push(this.conv_centerness.forward(this.centernessOnReg ? regFeat : clsFeat));
      out.bboxPreds.push(this.distances(this.scales.at(l).forward(this.conv_reg.forward(regFeat)), l));
    });
    return out;
  }

  /** mmdetection trains on stride-normalised distances and multiplies by the stride at test time only. */
  private distances(scaled: Tensor, level: number): Tensor {
    if (!this.normOnBbox) return F.exp(scaled);
    const d = F.relu(scaled);
    return this.training ? d : F.mul(d, this.strides[level]);
  }

  /** `cls_score.l`, `bbox_pred.l`, `centerness.l` per level (the det fixtures' names). */
  namedOutputs(out: FCOSHeadOutputs): NamedTensors {
    const named: NamedTensors = new Map();
    out.clsScores.forEach((t, l) => named.set(`cls_score.${l}`, t));
    out.bboxPreds.forEach((t, l) => named.set(`bbox_pred.${l}`, t));
    out.centernesses.forEach((t, l) => named.set(`centerness.${l}`, t));
    return named;
  }

  outputNames(levels: number): string[] {
    return ['cls_score', 'bbox_pred', 'centerness'].flatMap((n) => Array.from({ length: levels }, (_, l) => `${n}.${l}`));
  }

  /**
   * mmdetection's FCOSHead.loss_by_feat: targets from `fcosImageTargets`; `loss_cls` (focal)
   * over every point and class / max(num_pos, 1); on the positives `loss_bbox` (IoU-type loss
   * of the boxes decoded from the points and the predicted / target distances) weighted by the
   * centerness targets / max(their sum, 1e-6), and `loss_centerness` / max(num_pos, 1). With
   * no positive, both are 0 with a gradient path (mmdetection's pred.sum()).
   */
  lossByFeat(out: FCOSHeadOutputs, samples: readonly DetDataSample[]): LossDict {
    const sizes = out.clsScores.map((t) => [t.shape[2], t.shape[3]] as [number, number]);
    const points = this.priorGenerator.gridPriors(sizes).map((p) => F.toHost(p).data as Float32Array);
    const t = fcosBatchTargets(points, samples.map((s, i) => hostGt(s, i).gt), this);
    const flat = (maps: Tensor[], c: number) => F.concat(maps.map((m) => F.reshape(F.transpose(m, [0, 2, 3, 1]), [-1, c])), 0);
    const clsScores = flat(out.clsScores, this.numClasses);
    const numPos = Math.max(t.pos.length, 1);
    const losses = this.losses as { cls: Loss; bbox: Loss; centerness: Loss };
    const labels = F.constant(hostTensor('int32', [t.labels.length], t.labels));
    const result: LossDict = new Map([['loss_cls', losses.cls.forward(clsScores, labels, { avgFactor: numPos })]]);
    const bboxPreds = flat(out.bboxPreds, 4);
    const centerness = F.reshape(flat(out.centernesses, 1), [-1]);
    if (t.pos.length === 0) {
      result.set('loss_bbox', F.mul(F.sum(bboxPreds), 0));
      result.set('loss_centerness', F.mul(F.sum(centerness), 0));
      return result;
    }
    const pos = F.constant(hostTensor('int32', [t.pos.length], t.pos));
    const posTargets = gatherRows(t.bboxTargets, t.pos, 4);
    const ctr = centernessTargets(posTargets);
    const ctrSum = ctr.reduce((a, v) => a + v, 0);
    const ctrTensor = F.constant(hostTensor('float32', [ctr.length], ctr));
    const posPoints = F.constant(hostTensor('float32', [t.pos.length, 2], gatherRows(t.points, t.pos, 2)));
    const decodedPred = this.bboxCoder.decode(posPoints, F.gather(bboxPreds, pos));
    const decodedTarget = this.bboxCoder.decode(posPoints, F.constant(hostTensor('float32', [t.pos.length, 4], posTargets)));
    result.set('loss_bbox', losses.bbox.forward(decodedPred, decodedTarget, { weight: ctrTensor, avgFactor: Math.max(Math.fround(ctrSum), 1e-6) }));
    result.set('loss_centerness', losses.centerness.forward(F.gather(centerness, pos), ctrTensor, { avgFactor: numPos }));
    return result;
  }

  /**
   * mmdetection's predict_by_feat with rescale: per image, per level the candidates above
   * `score_thr` (sigmoid scores), the first `nms_pre`, decoded against the level's points and
   * clipped to img_shape; then `bboxPostProcess` with the sigmoid centerness as score factor.
   */
  predictByFeat(out: FCOSHeadOutputs, samples: readonly DetDataSample[], rescale = true): InstanceData[] {
    const cfg = this.testCfg;
    if (!cfg) throw new UserError('FCOSHead: predict needs a test_cfg (nms_pre, score_thr, nms, max_per_img)');
    const sizes = out.clsScores.map((t) => [t.shape[2], t.shape[3]] as [number, number]);
    const points = this.priorGenerator.gridPriors(sizes).map((p) => F.toHost(p).data as Float32Array);
    return samples.map((s, i) => {
      const { img_shape: imgShape, scale_factor: scaleFactor } = s.metainfo;
      if (!imgShape) throw new UserError(`sample ${i} lacks img_shape in its metainfo`);
      if (rescale && !scaleFactor) throw new UserError(`sample ${i} lacks scale_factor in its metainfo (needed to rescale to the original image)`);
      const { dets, centerness } = this.imageCandidates(out, points, i, imgShape, cfg);
      const kept = bboxPostProcess(dets, cfg, { scaleFactor: rescale ? scaleFactor : undefined, scoreFactors: centerness });
      return new InstanceData({ bboxes: new Boxes(kept.bboxes), scores: kept.scores, labels: kept.labels });
    });
  }

  /** The decoded candidates of image `i` over all levels, with their centerness. */
  private imageCandidates(out: FCOSHeadOutputs, points: Float32Array[], i: number, imgShape: readonly number[], cfg: DenseTestCfg) {
    const pts: number[] = [];
    const dists: number[] = [];
    const scores: number[] = [];
    const labels: number[] = [];
    const centerness: number[] = [];
    out.clsScores.forEach((cls, l) => {
      const prob = levelRows(F.sigmoid(cls), i);
      const box = levelRows(out.bboxPreds[l], i);
      const ctr = levelRows(F.sigmoid(out.centernesses[l]), i);
      const c = filterScoresAndTopk(prob, this.numClasses, cfg.score_thr, cfg.nms_pre);
      c.rows.forEach((r, j) => {
        pts.push(points[l][2 * r], points[l][2 * r + 1]);
        for (let k = 0; k < 4; k++) dists.push(box[4 * r + k]);
        scores.push(c.scores[j]);
        labels.push(c.labels[j]);
        centerness.push(ctr[r]);
      });
    });
    const n = scores.length;
    const decoded = this.bboxCoder.decode(F.constant(hostTensor('float32', [n, 2], Float32Array.from(pts))), F.constant(hostTensor('float32', [n, 4], Float32Array.from(dists))), imgShape);
    const dets: HostDetections = { bboxes: F.toHost(decoded).data as Float32Array, scores: Float32Array.from(scores), labels: Int32Array.from(labels) };
    return { dets, centerness: Float32Array.from(centerness) };
  }
}

/**
 * The targets of a batch flattened as mmdetection flattens the predictions: level by level,
 * within a level image by image, within an image row-major; `pos` indexes the positives.
 */
function fcosBatchTargets(points: readonly Float32Array[], gts: readonly HostGtInstances[], head: FCOSHead) {
  const cfg: FCOSTargetCfg = {
    numClasses: head.numClasses,
    strides: head.strides,
    regressRanges: head.regressRanges,
    centerSampling: head.centerSampling,
    centerSampleRadius: head.centerSampleRadius,
    normOnBbox: head.normOnBbox,
  };
  const perImage = gts.map((gt) => fcosImageTargets(points, gt, cfg));
  const total = points.reduce((a, p) => a + p.length / 2, 0) * gts.length;
  const labels = new Int32Array(total);
  const bboxTargets = new Float32Array(total * 4);
  const flatPoints = new Float32Array(total * 2);
  let row = 0;
  let levelStart = 0;
  for (const pts of points) {
    const n = pts.length / 2;
    for (const img of perImage) {
      labels.set(img.labels.subarray(levelStart, levelStart + n), row);
      bboxTargets.set(img.bboxTargets.subarray(4 * levelStart, 4 * (levelStart + n)), 4 * row);
      flatPoints.set(pts, 2 * row);
      row += n;
    }
    levelStart += n;
  }
  const pos: number[] = [];
  labels.forEach((l, i) => l >= 0 && l < cfg.numClasses && pos.push(i));
  return { labels, bboxTargets, points: flatPoints, pos: Int32Array.from(pos) };
}

/** Rows `inds` of a flat [N * width] array. */
function gatherRows(data: Float32Array, inds: Int32Array, width: number): Float32Array {
  const out = new Float32Array(inds.length * width);
  inds.forEach((r, k) => out.set(data.subarray(r * width, (r + 1) * width), k * width));
  return out;
}

/** Image `i` of a level map [N, C, H, W] as host rows [H * W, C] (mmdetection's permute(1, 2, 0)). */
function levelRows(t: Tensor, i: number): Float32Array {
  const [, c] = t.shape;
  return F.toHost(F.reshape(F.transpose(F.narrow(t, 0, i, 1), [0, 2, 3, 1]), [-1, c])).data as Float32Array;
}

function tower(o: Parsed): ModuleList<ConvModule> {
  const norm = (o.norm_cfg ?? null) as NormConfig | null;
  return new ModuleList(
    Array.from({ length: o.stacked_convs }, (_, i) => new ConvModule(i === 0 ? o.in_channels : o.feat_channels, o.feat_channels, 3, { padding: 1, normCfg: norm, bias: o.conv_bias })),
  );
}

function runTower(convs: ModuleList<ConvModule>, x: Tensor): Tensor {
  let y = x;
  for (let i = 0; i < convs.length; i++) y = convs.at(i).forward(y);
  return y;
}

function checkOptions(o: Parsed, ctx: BuildContext): void {
  if (o.regress_ranges.length !== o.strides.length) {
    throw ctx.error('regress_ranges', `needs one (min, max) range per stride (${o.strides.length}), got ${o.regress_ranges.length}`);
  }
  if (o.loss_cls.use_sigmoid === false) {
    throw ctx.error('loss_cls.use_sigmoid', 'FCOSHead classifies with sigmoid scores (mmdetection FocalLoss); only true is accepted');
  }
  if (o.stacked_convs === 0 && o.in_channels !== o.feat_channels) {
    throw ctx.error('feat_channels', `must equal in_channels (${o.in_channels}) when stacked_convs is 0, got ${o.feat_channels}`);
  }
}

HEADS.register(fcosHeadSchema, (o: Parsed, ctx: BuildContext) => new FCOSHead(o, ctx), {
  name: 'FCOSHead',
  summary: 'FCOS anchor-free dense head (mmdetection 3): GN towers, per-level Scale, centerness',
});

// typed TS configs: `{ type: 'FCOSHead', ... }` completes and checks these options
declare module '../../../config/config-types' {
  interface HeadOptionsMap {
    FCOSHead: import('zod').input<typeof fcosHeadSchema>;
  }
}
