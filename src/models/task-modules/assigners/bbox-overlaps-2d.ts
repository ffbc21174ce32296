import { z } from 'zod';
import { ConfigError } from '../../../core/errors';
import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import type { BuildContext } from '../../../registry/build-context';
import { TASK_UTILS } from '../../../registry/registries';
import { bboxOverlaps, bboxOverlapsHost, OverlapRows, type OverlapMode } from './bbox-overlaps';

export const bboxOverlaps2DOptions = z
  .object({
    /** mmdetection divides by `scale` only before an fp16 cast; without fp16 it has no effect. */
    scale: z.number().positive().default(1),
    dtype: z.string().nullable().default(null),
  })
  .strict();
export type BboxOverlaps2DOptions = z.input<typeof bboxOverlaps2DOptions>;

/**
 * mmdetection's 2-D IoU calculator (`BboxOverlaps2D`): IoU / IoF / GIoU of x1y1x2y2 boxes, with
 * a fifth (score) column dropped as mmdetection does. `overlaps` runs on engine tensors (and
 * traces to ONNX); `overlapsHost` / `rows` compute the same float32 values on host arrays for
 * the assigners. Float32 only: mmdetection's fp16 option is rejected.
 */
export class BboxOverlaps2D {
  readonly scale: number;

  constructor(options: BboxOverlaps2DOptions = {}, ctx?: BuildContext) {
    const o = bboxOverlaps2DOptions.parse(options);
    if (o.dtype !== null) {
      const detail = `only float32 overlaps are supported; remove dtype (got ${JSON.stringify(o.dtype)})`;
      throw ctx ? ctx.error('dtype', detail) : new ConfigError('dtype', detail);
    }
    this.scale = o.scale;
  }

  /** [..., M, 4|5] and [..., N, 4|5] → [..., M, N] (or [..., M] aligned). */
  overlaps(bboxes1: Tensor, bboxes2: Tensor, mode: OverlapMode = 'iou', isAligned = false): Tensor {
    return bboxOverlaps(dropScore(bboxes1), dropScore(bboxes2), mode, isAligned);
  }

  /** Host version: flat [M * 4] and [N * 4] → [M * N] row-major (or [M] aligned). */
  overlapsHost(bboxes1: Float32Array, bboxes2: Float32Array, mode: OverlapMode = 'iou', isAligned = false): Float32Array {
    return bboxOverlapsHost(bboxes1, bboxes2, mode, isAligned);
  }

  /** The host matrix one row at a time (what assigners stream through). */
  rows(bboxes1: Float32Array, bboxes2: Float32Array, mode: OverlapMode = 'iou'): OverlapRows {
    return new OverlapRows(bboxes1, bboxes2, mode);
  }
}

function dropScore(b: Tensor): Tensor {
  const last = b.shape[b.shape.length - 1];
  if (last === 5) return F.narrow(b, -1, 0, 4);
  if (last !== 4 && b.shape[b.shape.length - 2] !== 0) throw new Error(`BboxOverlaps2D: boxes need 4 or 5 columns, got [${b.shape}]`);
  return b;
}

TASK_UTILS.register(bboxOverlaps2DOptions, (o: BboxOverlaps2DOptions, ctx: BuildContext) => new BboxOverlaps2D(o, ctx), {
  name: 'BboxOverlaps2D',
  summary: 'IoU / IoF / GIoU of x1y1x2y2 boxes (mmdetection bbox_overlaps), on engine tensors and host arrays',
});
