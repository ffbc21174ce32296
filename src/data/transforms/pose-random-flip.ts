import { z } from 'zod';
import { UserError } from '../../core/errors';
import { TRANSFORMS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { flipImage } from './image-ops';
import { need, type PoseResults } from './pose-results';
import type { Transform } from './results';
import { chooseFlip, flipChoices, type FlipChoices } from './flip-choice';

const direction = z.enum(['horizontal', 'vertical', 'diagonal']);
const prob = z.number().min(0).max(1);

export const poseRandomFlipSchema = z
  .object({
    prob: z.union([prob, z.array(prob)]).default(0.5),
    direction: z.union([direction, z.array(direction).min(1)]).default('horizontal'),
  })
  .strict();
export type PoseRandomFlipOptions = z.output<typeof poseRandomFlipSchema>;

/**
 * mmpose's RandomFlip (`mmpose.RandomFlip`, the bare name under `default_scope='mmpose'`): with
 * probability `prob` mirrors the image, `bbox` (x1 y1 x2 y2), `bbox_center` and `keypoints` in
 * an image of width w as x → w - 1 - x (mmpose's pixel-index convention), and swaps left and
 * right keypoints and their visibilities through the dataset's `flip_indices`. The image size
 * is `img_shape`, or `input_size` once TopdownAffine has cropped. Draws from `results.rng`.
 */
export class PoseRandomFlip implements Transform {
  private readonly choices: FlipChoices;

  constructor(o: PoseRandomFlipOptions) {
    this.choices = flipChoices(o.prob, o.direction);
  }

  transform(results: PoseResults): PoseResults {
    if (!results.rng) throw new UserError(`${results.img_path ?? '<results>'}: RandomFlip needs results.rng, the seeded generator the data loader passes`);
    const dir = chooseFlip(this.choices, results.rng.next());
    if (dir === null) return { ...results, flip: false, flip_direction: null };
    const img = need(results, 'img', 'RandomFlip', 'put LoadImage before it');
    const [w, h] = results.input_size ?? [(results.img_shape ?? [img.height, img.width])[1], (results.img_shape ?? [img.height, img.width])[0]];
    const out: PoseResults = { ...results, flip: true, flip_direction: dir, img: flipImage(img, dir) };
    const fx = dir !== 'vertical';
    const fy = dir !== 'horizontal';
    const px = (x: number) => (fx ? Math.fround(w - x - 1) : x);
    const py = (y: number) => (fy ? Math.fround(h - y - 1) : y);
    if (results.bbox) out.bbox = results.bbox.map(([x1, y1, x2, y2]) => [fx ? px(x2) : x1, fy ? py(y2) : y1, fx ? px(x1) : x2, fy ? py(y1) : y2]);
    if (results.bbox_center) out.bbox_center = results.bbox_center.map(([x, y]) => [px(x), py(y)]);
    if (results.keypoints) {
      const idx = need(results, 'flip_indices', 'RandomFlip', "the dataset's metainfo gives it");
      // mmpose swaps the mirrored keypoints for horizontal and vertical flips only
      const swap = dir !== 'diagonal';
      out.keypoints = results.keypoints.map((kpts) => (swap ? reorder(kpts, idx) : kpts).map(([x, y]) => [px(x), py(y)]));
      if (results.keypoints_visible) out.keypoints_visible = results.keypoints_visible.map((v) => (swap ? reorder(v, idx) : [...v]));
    }
    return out;
  }

}

function reorder<T>(values: readonly T[], indices: readonly number[]): T[] {
  if (indices.length !== values.length) throw new UserError(`RandomFlip: flip_indices has ${indices.length} entries for ${values.length} keypoints`);
  return indices.map((i) => values[i]);
}

TRANSFORMS.register(
  poseRandomFlipSchema,
  (o: PoseRandomFlipOptions, ctx: BuildContext) => {
    if (Array.isArray(o.prob) && (!Array.isArray(o.direction) || o.direction.length !== o.prob.length)) {
      throw ctx.error('prob', 'a list of probabilities needs a direction list of the same length');
    }
    const total = Array.isArray(o.prob) ? o.prob.reduce((a, b) => a + b, 0) : o.prob;
    if (total > 1 + 1e-9) throw ctx.error('prob', `the flip probabilities sum to ${total}, more than 1`);
    return new PoseRandomFlip(o);
  },
  { name: 'RandomFlip', scope: 'mmpose', summary: 'mmpose transform: seeded random flip of image, box, centre and keypoints (flip_indices)' },
);
