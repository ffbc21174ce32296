import { z } from 'zod';
import { Module } from '../../../core/module';
import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import { ConvModule } from '../../../nn/conv-module';
import { ModuleList } from '../../../nn/containers';
import { Linear } from '../../../nn/linear';
import type { NormConfig } from '../../../nn/norm';
import { convCfg, initCfg, normCfg } from '../../../nn/option-schemas';
import type { BuildContext } from '../../../registry/build-context';
import { HEADS, LOSSES, TASK_UTILS } from '../../../registry/registries';
import { componentCfg } from './component-cfg';
import { DeltaXYWHBBoxCoder } from '../../task-modules/coders/delta-xywh-bbox-coder';
import { multiclassNms, type Detections } from './multiclass-nms';
import type { RCNNTestCfg } from './rcnn-test-cfg';
import type { ImageGeometry } from './image-metas';
import type { RCNNTrainCfg } from './rcnn-train-cfg';
import type { Loss } from '../../losses/loss';
import type { SamplingResult } from '../../task-modules/samplers/sampling-result';
import { bboxHeadLoss, type BBoxLossResult } from './bbox-head-loss';

const count = z.number().int().min(0).default(0);
const linearCfg = z.object({ type: z.literal('Linear') }).strict();

export const convFCBBoxHeadOptions = z
  .object({
    num_shared_convs: count,
    num_shared_fcs: count,
    num_cls_convs: count,
    num_cls_fcs: count,
    num_reg_convs: count,
    num_reg_fcs: count,
    conv_out_channels: z.number().int().positive().default(256),
    fc_out_channels: z.number().int().positive().default(1024),
    conv_cfg: convCfg,
    norm_cfg: normCfg.nullable().optional(),
    /** mmdetection's averaged-RoI variant is not built. */
    with_avg_pool: z.literal(false).default(false),
    with_cls: z.literal(true).default(true),
    with_reg: z.literal(true).default(true),
    roi_feat_size: z.number().int().positive().default(7),
    in_channels: z.number().int().positive().default(256),
    num_classes: z.number().int().positive().default(80),
    bbox_coder: componentCfg.default({ type: 'DeltaXYWHBBoxCoder', target_means: [0, 0, 0, 0], target_stds: [0.1, 0.1, 0.2, 0.2] }),
    predict_box_type: z.literal('hbox').default('hbox'),
    reg_class_agnostic: z.boolean().default(false),
    reg_decoded_bbox: z.boolean().default(false),
    reg_predictor_cfg: linearCfg.default({ type: 'Linear' }),
    cls_predictor_cfg: linearCfg.default({ type: 'Linear' }),
    loss_cls: componentCfg.default({ type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 }),
    loss_bbox: componentCfg.default({ type: 'SmoothL1Loss', beta: 1.0, loss_weight: 1.0 }),
    init_cfg: initCfg.nullable(),
  })
  .strict();
export type ConvFCBBoxHeadOptions = z.input<typeof convFCBBoxHeadOptions>;
type Parsed = z.output<typeof convFCBBoxHeadOptions>;

/** Raw box-head outputs for R RoIs: logits [R, K + 1] (background last) and deltas [R, 4K] or [R, 4]. */
export interface BBoxHeadOutputs {
  clsScore: Tensor;
  bboxPred: Tensor;
}

/**
 * mmdetection's ConvFCBBoxHead: shared 3x3 ConvModules then shared fcs (ReLU), then per-branch
 * convs and fcs for classification and regression, `fc_cls` (K + 1) and `fc_reg` (4K, or 4
 * with reg_class_agnostic). RoI features flatten channel-major (NCHW), as PyTorch, so the first
 * fc's weights load unchanged. predictByFeat is mmdetection's _predict_by_feat_single.
 */
export class ConvFCBBoxHead extends Module {
  readonly numClasses: number;
  readonly regClassAgnostic: boolean;
  readonly regDecodedBbox: boolean;
  readonly bboxCoder: DeltaXYWHBBoxCoder;
  readonly lossCls: Loss;
  readonly lossBbox: Loss;
  readonly fcCls: Linear;
  readonly fcReg: Linear;
  private readonly shared: Branch;
  private readonly cls: Branch;
  private readonly reg: Branch;

  constructor(o: Parsed, ctx: BuildContext) {
    super();
    const coder = ctx.build(TASK_UTILS, o.bbox_coder, 'bbox_coder');
    if (!(coder instanceof DeltaXYWHBBoxCoder)) throw ctx.error('bbox_coder.type', 'the box head decodes with DeltaXYWHBBoxCoder');
    this.lossCls = ctx.build(LOSSES, o.loss_cls, 'loss_cls') as Loss;
    this.lossBbox = ctx.build(LOSSES, o.loss_bbox, 'loss_bbox') as Loss;
    this.regDecodedBbox = o.reg_decoded_bbox;
    this.bboxCoder = coder;
    this.numClasses = o.num_classes;
    this.regClassAgnostic = o.reg_class_agnostic;
    const area = o.roi_feat_size * o.roi_feat_size;
    const norm = (o.norm_cfg ?? null) as NormConfig | null;
    this.shared = new Branch(o.num_shared_convs, o.num_shared_fcs, { channels: o.in_channels, area, flat: false }, o, norm, true);
    this.cls = new Branch(o.num_cls_convs, o.num_cls_fcs, this.shared.out, o, norm, o.num_shared_fcs === 0);
    this.reg = new Branch(o.num_reg_convs, o.num_reg_fcs, this.shared.out, o, norm, o.num_shared_fcs === 0);
    // mmdetection's registration order (its state_dict order): predictors first, then the branches
    this.fcCls = this.addModule('fc_cls', new Linear(this.cls.outDim, o.num_classes + 1));
    this.fcReg = this.addModule('fc_reg', new Linear(this.reg.outDim, o.reg_class_agnostic ? 4 : 4 * o.num_classes));
    this.addBranch('shared', this.shared);
    this.addBranch('cls', this.cls);
    this.addBranch('reg', this.reg);
    this.initCfg = o.init_cfg ?? [
      { type: 'Normal', std: 0.01, override: { name: 'fc_cls' } },
      { type: 'Normal', std: 0.001, override: { name: 'fc_reg' } },
    ];
  }

  /** mmdetection's keys `{name}_convs.i`, `{name}_fcs.i`; empty runs add nothing. */
  private addBranch(name: string, b: Branch): void {
    if (b.convs.length > 0) this.addModule(`${name}_convs`, new ModuleList(b.convs));
    if (b.fcs.length > 0) this.addModule(`${name}_fcs`, new ModuleList(b.fcs));
  }

  forward(roiFeats: Tensor): BBoxHeadOutputs {
    const x = this.shared.forward(roiFeats);
    return { clsScore: this.fcCls.forward(F.flatten(this.cls.forward(x))), bboxPred: this.fcReg.forward(F.flatten(this.reg.forward(x))) };
  }

  /**
   * Detections of one image from its RoIs [R, 5]: softmax scores, every class's deltas decoded
   * and clipped to `imgShape` (h, w), boxes multiplied by 1 / scale_factor when `rescale`
   * (scale_factor is (w, h)), then multiclass NMS as `cfg` says.
   */
  predictImage(rois: Tensor, out: BBoxHeadOutputs, image: ImageGeometry, rescale: boolean, cfg: RCNNTestCfg): Detections {
    const scores = F.softmax(out.clsScore, -1);
    let boxes = this.bboxCoder.decode(F.narrow(rois, 1, 1, 4), out.bboxPred, image.clip);
    if (rescale && boxes.shape[0] > 0) {
      const R = boxes.shape[0];
      const D = boxes.shape[1];
      boxes = F.reshape(F.mul(F.reshape(boxes, [R, D / 4, 4]), image.invScale), [R, D]);
    }
    return multiclassNms(boxes, scores, cfg.score_thr, cfg.nms, cfg.max_per_img);
  }

  /** mmdetection's loss_and_target for the sampled RoIs [R, 5] of `results` (see bbox-head-loss.ts). */
  lossAndTarget(out: BBoxHeadOutputs, rois: Tensor, results: readonly SamplingResult[], cfg: RCNNTrainCfg): BBoxLossResult {
    return bboxHeadLoss(this, out, rois, results, cfg.pos_weight);
  }
}

interface Dims {
  channels: number;
  area: number;
  /** Whether the tensor is already flat [R, D]. */
  flat: boolean;
}

/** One run of 3x3 ConvModules, then fcs each followed by ReLU. */
class Branch {
  readonly convs: ConvModule[] = [];
  readonly fcs: Linear[] = [];
  readonly out: Dims;

  constructor(numConvs: number, numFcs: number, input: Dims, o: Parsed, norm: NormConfig | null, flattenArea: boolean) {
    let c = input.channels;
    for (let i = 0; i < numConvs; i++) {
      this.convs.push(new ConvModule(i === 0 ? c : o.conv_out_channels, o.conv_out_channels, 3, { padding: 1, normCfg: norm }));
    }
    if (numConvs > 0) c = o.conv_out_channels;
    let dim = input.flat ? input.channels : c;
    if (numFcs > 0 && !input.flat && flattenArea) dim *= input.area;
    for (let i = 0; i < numFcs; i++) this.fcs.push(new Linear(i === 0 ? dim : o.fc_out_channels, o.fc_out_channels));
    this.out = numFcs > 0 ? { channels: o.fc_out_channels, area: 1, flat: true } : { channels: dim, area: input.area, flat: input.flat };
  }

  /** Width of this branch's output once flattened. */
  get outDim(): number {
    return this.out.flat ? this.out.channels : this.out.channels * this.out.area;
  }

  forward(x: Tensor): Tensor {
    for (const c of this.convs) x = c.forward(x);
    if (this.fcs.length > 0) x = F.flatten(x);
    for (const fc of this.fcs) x = F.relu(fc.forward(x));
    return x;
  }
}

export type ConvFCBBoxHeadParsed = Parsed;

HEADS.register(convFCBBoxHeadOptions, (o: Parsed, ctx: BuildContext) => new ConvFCBBoxHead(o, ctx), {
  name: 'ConvFCBBoxHead',
  summary: 'R-CNN box head (mmdetection): shared convs/fcs, then cls and reg branches, fc_cls (K+1) and fc_reg',
});

declare module '../../../config/config-types' {
  interface HeadOptionsMap {
    ConvFCBBoxHead: import('zod').input<typeof convFCBBoxHeadOptions>;
  }
}
