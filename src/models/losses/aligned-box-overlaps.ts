/**
 * mmdetection's `bbox_overlaps(..., is_aligned=True)` for the IoU losses, on the op layer so
 * it is differentiable: row i of `a` against row i of `b`, boxes x1y1x2y2 in the last axis.
 */
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';

const coord = (b: Tensor, i: number) => F.reshape(F.narrow(b, -1, i, 1), b.shape.slice(0, -1));
const area = (b: Tensor) => F.mul(F.sub(coord(b, 2), coord(b, 0)), F.sub(coord(b, 3), coord(b, 1)));

/** IoU or GIoU of aligned box pairs; union and enclosing area are clamped below by `eps`. */
export function alignedBoxOverlaps(a: Tensor, b: Tensor, mode: 'iou' | 'giou', eps = 1e-6): Tensor {
  const side = (lo: number, hi: number, pick: 'inner' | 'outer') => {
    const [low, high] = pick === 'inner' ? [F.maximum, F.minimum] : [F.minimum, F.maximum];
    return F.maximum(F.sub(high(coord(a, hi), coord(b, hi)), low(coord(a, lo), coord(b, lo))), 0);
  };
  const overlap = F.mul(side(0, 2, 'inner'), side(1, 3, 'inner'));
  const union = F.maximum(F.sub(F.add(area(a), area(b)), overlap), eps);
  const ious = F.div(overlap, union);
  if (mode === 'iou') return ious;
  const enclose = F.maximum(F.mul(side(0, 2, 'outer'), side(1, 3, 'outer')), eps);
  return F.sub(ious, F.div(F.sub(enclose, union), enclose));
}
