import { z } from 'zod';
import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import { TASK_UTILS } from '../../../registry/registries';
import { clipToShape, columns, type MaxShape } from './box-columns';

export const distancePointBBoxCoderOptions = z
  .object({
    clip_border: z.boolean().default(true),
    /** mmdetection's box-type wrapping; hrdet's coders return plain tensors. */
    use_box_type: z.literal(false).default(false),
  })
  .strict();
export type DistancePointBBoxCoderOptions = z.input<typeof distancePointBBoxCoderOptions>;

/**
 * mmdetection's DistancePointBBoxCoder (FCOS): a box as the distances (left, top, right,
 * bottom) from a point to its sides. `encode` optionally clamps them to [0, max_dis - eps];
 * `decode` clips the boxes to the image when clip_border and a max_shape is given.
 */
export class DistancePointBBoxCoder {
  readonly clipBorder: boolean;
  readonly encodeSize = 4;

  constructor(options: DistancePointBBoxCoderOptions = {}) {
    this.clipBorder = distancePointBBoxCoderOptions.parse(options).clip_border;
  }

  /** Distances [..., N, 4] from `points` [..., N, 2] to the sides of `gtBboxes` [..., N, 4]. */
  encode(points: Tensor, gtBboxes: Tensor, maxDis?: number, eps = 0.1): Tensor {
    checkPoints('encode', points, gtBboxes);
    const lt = F.sub(points, columns(gtBboxes, 0, 2));
    const rb = F.sub(columns(gtBboxes, 2, 2), points);
    const d = F.concat([lt, rb], -1);
    return maxDis === undefined ? d : F.clip(d, 0, maxDis - eps);
  }

  /** Boxes [..., N, 4] from `points` [..., N, 2] and distances [..., N, 4]; `maxShape` is (h, w) or one per image. */
  decode(points: Tensor, distances: Tensor, maxShape?: MaxShape): Tensor {
    checkPoints('decode', points, distances);
    const boxes = F.concat([F.sub(points, columns(distances, 0, 2)), F.add(points, columns(distances, 2, 2))], -1);
    return this.clipBorder && maxShape ? clipToShape(boxes, maxShape) : boxes;
  }
}

function checkPoints(what: string, points: Tensor, boxes: Tensor): void {
  const [p, b] = [points.shape, boxes.shape];
  if (p[p.length - 1] !== 2 || b[b.length - 1] !== 4 || p[p.length - 2] !== b[b.length - 2]) {
    throw new Error(`DistancePointBBoxCoder.${what}: points [${p}] and boxes [${b}] need shapes [..., N, 2] and [..., N, 4]`);
  }
}

TASK_UTILS.register(distancePointBBoxCoderOptions, (o: DistancePointBBoxCoderOptions) => new DistancePointBBoxCoder(o), {
  name: 'DistancePointBBoxCoder',
  summary: 'point-to-side distances (left, top, right, bottom) for FCOS (mmdetection)',
});
