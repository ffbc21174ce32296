import { z } from 'zod';
import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import { TASK_UTILS } from '../../../registry/registries';
import { clipToShape, columns, constF32, isBoundTensor, type MaxShape } from './box-columns';

const four = z.tuple([z.number(), z.number(), z.number(), z.number()]);

export const deltaXYWHBBoxCoderOptions = z
  .object({
    target_means: four.default([0, 0, 0, 0]),
    target_stds: four.default([1, 1, 1, 1]),
    clip_border: z.boolean().default(true),
    add_ctr_clamp: z.boolean().default(false),
    ctr_clamp: z.number().default(32),
    /** mmdetection's box-type wrapping; hrdet's coders return plain tensors. */
    use_box_type: z.literal(false).default(false),
  })
  .strict();
export type DeltaXYWHBBoxCoderOptions = z.input<typeof deltaXYWHBBoxCoderOptions>;

/** mmdetection's default `wh_ratio_clip`: decoded sides stay within 1000/16 of the prior's. */
export const DEFAULT_WH_RATIO_CLIP = 16 / 1000;

/**
 * mmdetection's DeltaXYWHBBoxCoder (R-CNN box deltas): encode (prior, GT) as
 * ((gx - px) / pw, (gy - py) / ph, log(gw / pw), log(gh / ph)), minus means, over stds; decode
 * the inverse with dw, dh clamped to ±|log(wh_ratio_clip)| (only from above, and the centre
 * shift clamped to ±ctr_clamp pixels, with add_ctr_clamp), then clip to the image when
 * clip_border and a max_shape is given. Engine tensors through the op layer: traces to ONNX.
 */
export class DeltaXYWHBBoxCoder {
  readonly means: readonly number[];
  readonly stds: readonly number[];
  readonly clipBorder: boolean;
  readonly addCtrClamp: boolean;
  readonly ctrClamp: number;
  /** Deltas per box. */
  readonly encodeSize = 4;

  constructor(options: DeltaXYWHBBoxCoderOptions = {}) {
    const o = deltaXYWHBBoxCoderOptions.parse(options);
    this.means = o.target_means;
    this.stds = o.target_stds;
    this.clipBorder = o.clip_border;
    this.addCtrClamp = o.add_ctr_clamp;
    this.ctrClamp = o.ctr_clamp;
  }

  /** Deltas [..., 4] that move `bboxes` [..., 4] onto `gtBboxes` [..., 4]. */
  encode(bboxes: Tensor, gtBboxes: Tensor): Tensor {
    if (bboxes.shape.join() !== gtBboxes.shape.join() || bboxes.shape[bboxes.shape.length - 1] !== 4) {
      throw new Error(`DeltaXYWHBBoxCoder.encode: boxes [${bboxes.shape}] and GT [${gtBboxes.shape}] need the same shape [..., 4]`);
    }
    const [pxy, pwh] = centreSize(bboxes);
    const [gxy, gwh] = centreSize(gtBboxes);
    const deltas = F.concat([F.div(F.sub(gxy, pxy), pwh), F.log(F.div(gwh, pwh))], -1);
    return F.div(F.sub(deltas, constF32([4], this.means)), constF32([4], this.stds));
  }

  /**
   * Boxes from `bboxes` [N, 4] (or [B, N, 4]) and deltas [N, 4k] (or [B, N, 4k]; k boxes per
   * prior, e.g. one per class): [N, 4k]. `maxShape` is (h, w), or one per image of a batch.
   */
  decode(bboxes: Tensor, deltas: Tensor, maxShape?: MaxShape, whRatioClip = DEFAULT_WH_RATIO_CLIP): Tensor {
    const r = deltas.shape.length;
    const n = deltas.shape[r - 2];
    const k = deltas.shape[r - 1] / 4;
    if (!Number.isInteger(k) || bboxes.shape[bboxes.shape.length - 2] !== n || bboxes.shape[bboxes.shape.length - 1] !== 4) {
      throw new Error(`DeltaXYWHBBoxCoder.decode: boxes [${bboxes.shape}] and deltas [${deltas.shape}] do not pair up ([..., N, 4] and [..., N, 4k])`);
    }
    if (n === 0) return deltas;
    const lead = deltas.shape.slice(0, -2);
    // k boxes per prior as an axis of their own, so a prior's centre and size broadcast over them
    const d = k === 1 ? deltas : F.reshape(deltas, [...lead, n, k, 4]);
    const rois = k === 1 ? bboxes : F.reshape(bboxes, [...bboxes.shape.slice(0, -1), 1, 4]);
    const denorm = F.add(F.mul(d, constF32([4], this.stds)), constF32([4], this.means));
    const [pxy, pwh] = centreSize(rois);
    let dxyWh = F.mul(pwh, columns(denorm, 0, 2));
    let dwh = columns(denorm, 2, 2);
    const maxRatio = Math.abs(Math.log(whRatioClip));
    if (this.addCtrClamp) {
      dxyWh = F.clip(dxyWh, -this.ctrClamp, this.ctrClamp);
      dwh = F.minimum(dwh, maxRatio);
    } else {
      dwh = F.clip(dwh, -maxRatio, maxRatio);
    }
    const gxy = F.add(pxy, dxyWh);
    const half = F.mul(F.mul(pwh, F.exp(dwh)), 0.5);
    let boxes = F.concat([F.sub(gxy, half), F.add(gxy, half)], -1);
    if (this.clipBorder && maxShape) {
      // one bound for every box broadcasts over the k axis (and keeps a data-dependent n traceable)
      const shared = k !== 1 && (isBoundTensor(maxShape) || !Array.isArray(maxShape[0]));
      boxes = clipToShape(shared || k === 1 ? boxes : F.reshape(boxes, [...lead, n * k, 4]), maxShape);
    }
    return F.reshape(boxes, deltas.shape);
  }
}

/** (centre, size) pairs [..., 2] of x1y1x2y2 boxes, as mmdetection computes them. */
function centreSize(b: Tensor): [Tensor, Tensor] {
  const lo = columns(b, 0, 2);
  const hi = columns(b, 2, 2);
  return [F.mul(F.add(lo, hi), 0.5), F.sub(hi, lo)];
}

TASK_UTILS.register(deltaXYWHBBoxCoderOptions, (o: DeltaXYWHBBoxCoderOptions) => new DeltaXYWHBBoxCoder(o), {
  name: 'DeltaXYWHBBoxCoder',
  summary: 'R-CNN box deltas (dx, dy, dw, dh) with means/stds, wh clamp and centre clamp (mmdetection)',
});
