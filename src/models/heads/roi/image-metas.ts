import { UserError } from '../../../core/errors';
import type { DataSample } from '../../../structures/data-sample';

/** The (h, w) boxes are clipped to: the sample's `img_shape` (resized, before padding). */
export function imageShapeOf(s: DataSample, index: number): [number, number] {
  const shape = s.metainfo.img_shape;
  if (!shape) throw new UserError(`detection sample ${index} has no img_shape in its metainfo`);
  return [shape[0], shape[1]];
}

/** The sample's `scale_factor` (w, h): resized size over original size; (1, 1) when absent. */
export function scaleFactorOf(s: DataSample): [number, number] {
  const f = s.metainfo.scale_factor;
  return f ? [f[0], f[1]] : [1, 1];
}

/** The (h, w) masks are pasted into when rescaling: the sample's `ori_shape`, else its img_shape. */
export function oriShapeOf(s: DataSample, index: number): [number, number] {
  const shape = s.metainfo.ori_shape ?? s.metainfo.img_shape;
  if (!shape) throw new UserError(`detection sample ${index} has no ori_shape in its metainfo`);
  return [shape[0], shape[1]];
}
