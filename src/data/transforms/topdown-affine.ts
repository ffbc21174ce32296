import { z } from 'zod';
import { UserError } from '../../core/errors';
import { TRANSFORMS } from '../../registry/registries';
import { need, type PoseResults } from './pose-results';
import type { Transform } from './results';
import { applyAffine, getUdpWarpMatrix, getWarpMatrix, warpAffineImage } from './warp-affine';

export const topdownAffineSchema = z
  .object({
    /** The model's input (w, h): the box is cropped and resized to it. */
    input_size: z.tuple([z.number().int().positive(), z.number().int().positive()]),
    use_udp: z.boolean().default(false),
  })
  .strict();
export type TopdownAffineOptions = z.output<typeof topdownAffineSchema>;

/**
 * mmpose's TopdownAffine: the box scale is widened or heightened to the input's aspect ratio
 * (w / h), then the box (rotated by `bbox_rotation`, when set) is warped onto `input_size` with
 * mmpose's get_warp_matrix (get_udp_warp_matrix with `use_udp`) and cv2's bilinear warpAffine.
 * The keypoints go through the same matrix into `transformed_keypoints`; `input_size`,
 * `input_center` and `input_scale` record the crop for mapping predictions back.
 */
export class TopdownAffine implements Transform {
  constructor(private readonly o: TopdownAffineOptions) {}

  transform(results: PoseResults): PoseResults {
    const [w, h] = this.o.input_size;
    const img = need(results, 'img', 'TopdownAffine', 'put LoadImage before it');
    const centers = need(results, 'bbox_center', 'TopdownAffine', 'put GetBBoxCenterScale before it');
    const scales = need(results, 'bbox_scale', 'TopdownAffine', 'put GetBBoxCenterScale before it').map((s) => fixAspectRatio(s, w / h));
    if (centers.length !== 1) throw new UserError(`${results.img_path ?? '<results>'}: TopdownAffine crops one instance per sample, got ${centers.length}`);
    const [center, scale] = [centers[0], scales[0]];
    const rot = results.bbox_rotation?.[0] ?? 0;
    const m = this.o.use_udp ? getUdpWarpMatrix(center, scale, rot, [w, h]) : getWarpMatrix(center, scale, rot, [w, h]);
    const out: PoseResults = {
      ...results,
      bbox_scale: scales,
      img: warpAffineImage(img, m, w, h),
      input_size: [w, h],
      input_center: [center[0], center[1]],
      input_scale: [scale[0], scale[1]],
    };
    if (results.keypoints) out.transformed_keypoints = results.keypoints.map((kpts) => kpts.map(([x, y]) => applyAffine(m, x, y)));
    return out;
  }
}

/** mmpose's _fix_aspect_ratio: grow the shorter side of (w, h) to the ratio w / h (float32). */
export function fixAspectRatio([w, h]: readonly number[], aspectRatio: number): number[] {
  const f = Math.fround;
  // numpy takes the ratio into the float32 arrays' type before dividing and multiplying
  const r = f(aspectRatio);
  return w > f(h * r) ? [w, f(w / r)] : [f(h * r), h];
}

TRANSFORMS.register(topdownAffineSchema, (o: TopdownAffineOptions) => new TopdownAffine(o), {
  name: 'TopdownAffine',
  scope: 'mmpose',
  summary: 'mmpose transform: warp the (rotated) person box onto the model input, keypoints with it',
});
