import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
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

/**
 * One image's geometry as engine tensors, so that it can be a graph input: `clip` [4] the box
 * bounds (w, h, w, h) of img_shape, `scale` [4] the float32 scale_factor (w, h, w, h) and
 * `invScale` [4] its reciprocal, the factors boxes are multiplied by to reach the original
 * image (mmdetection: float32(1 / scale_factor), the reciprocal taken in double).
 */
export interface ImageGeometry {
  clip: Tensor;
  scale: Tensor;
  invScale: Tensor;
}

const wh4 = (w: number, h: number): Tensor => F.constant({ dtype: 'float32', shape: [4], data: Float32Array.of(w, h, w, h) });

/** The geometry of each sample, from its metainfo (img_shape, scale_factor). */
export function geometryOfSamples(samples: readonly DataSample[]): ImageGeometry[] {
  return samples.map((s, i) => {
    const [h, w] = imageShapeOf(s, i);
    const [sw, sh] = scaleFactorOf(s);
    return { clip: wh4(w, h), scale: wh4(sw, sh), invScale: wh4(1 / sw, 1 / sh) };
  });
}

/**
 * The geometry of each image from `img_shape` [N, 2] (h, w) and `scale_factor` [N, 2] (w, h)
 * tensors (a traced graph's inputs). The reciprocal is taken in float32 here, which can differ
 * from the double one of geometryOfSamples by one unit in the last place.
 */
export function geometryOfTensors(imgShape: Tensor, scaleFactor: Tensor): ImageGeometry[] {
  const hwhw = F.constant({ dtype: 'int32', shape: [4], data: Int32Array.of(1, 0, 1, 0) });
  const whwh = F.constant({ dtype: 'int32', shape: [4], data: Int32Array.of(0, 1, 0, 1) });
  return Array.from({ length: imgShape.shape[0] }, (_, i) => {
    const row = (t: Tensor, order: Tensor) => F.gather(F.reshape(F.narrow(t, 0, i, 1), [2]), order);
    const scale = row(scaleFactor, whwh);
    return { clip: row(imgShape, hwhw), scale, invScale: F.div(F.scalar(1), scale) };
  });
}
