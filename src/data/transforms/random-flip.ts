import { z } from 'zod';
import { UserError } from '../../core/errors';
import { TRANSFORMS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { flipImage } from './image-ops';
import { flipMasks } from './mask-ops';
import type { Results, Transform } from './results';
import { chooseFlip, flipChoices, type FlipChoices } from './flip-choice';

const direction = z.enum(['horizontal', 'vertical', 'diagonal']);
const prob = z.number().min(0).max(1);

export const randomFlipSchema = z
  .object({
    prob: z.union([prob, z.array(prob)]),
    direction: z.union([direction, z.array(direction).min(1)]).default('horizontal'),
    /** Label pairs swapped in the flipped `gt_seg_map` (left / right parts), as mmcv. */
    swap_seg_labels: z.array(z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255)])).nullable().optional(),
  })
  .strict();
export type RandomFlipOptions = z.output<typeof randomFlipSchema>;

/**
 * mmcv's (and mmdet's) RandomFlip: with probability `prob` (per direction when both are lists; split evenly
 * over the directions when `prob` is one number) mirrors image, boxes, masks and the label map
 * `gt_seg_map` (swapping `swap_seg_labels` pairs in it), and records
 * `flip` and `flip_direction`. The draw comes from `results.rng`, the loader's seeded generator.
 */
export class RandomFlip implements Transform {
  private readonly choices: FlipChoices;

  private readonly swapSegLabels: readonly [number, number][] | null;

  constructor(o: RandomFlipOptions) {
    this.swapSegLabels = o.swap_seg_labels ?? null;
    this.choices = flipChoices(o.prob, o.direction);
  }

  transform(results: Results): Results {
    if (!results.rng) throw new UserError(`${results.img_path ?? '<results>'}: RandomFlip needs results.rng, the seeded generator the data loader passes`);
    const dir = chooseFlip(this.choices, results.rng.next());
    const out: Results = { ...results, flip: dir !== null, flip_direction: dir };
    if (dir === null) return out;
    const img = results.img;
    if (!img) throw new UserError(`${results.img_path ?? '<results>'}: RandomFlip needs an image: put LoadImageFromFile before it`);
    out.img = flipImage(img, dir);
    const shape = results.img_shape ?? ([img.height, img.width] as const);
    if (results.gt_bboxes) out.gt_bboxes = results.gt_bboxes.flip(shape, dir);
    if (results.gt_masks) out.gt_masks = flipMasks(results.gt_masks, dir);
    if (results.gt_seg_map) {
      out.gt_seg_map = swapLabels(flipImage(results.gt_seg_map, dir) as typeof results.gt_seg_map, this.swapSegLabels);
      out.swap_seg_labels = this.swapSegLabels;
    }
    return out;
  }

}

/** Each pair's labels exchanged (mmcv's swap_seg_labels, read from the unswapped map). */
function swapLabels<M extends { data: Uint8Array }>(seg: M, pairs: readonly [number, number][] | null): M {
  if (!pairs?.length) return seg;
  const lut = Uint8Array.from({ length: 256 }, (_, v) => v);
  for (const [a, b] of pairs) [lut[a], lut[b]] = [b, a];
  return { ...seg, data: Uint8Array.from(seg.data, (v) => lut[v]) };
}

TRANSFORMS.register(
  randomFlipSchema,
  (o: RandomFlipOptions, ctx: BuildContext) => {
    if (Array.isArray(o.prob)) {
      if (!Array.isArray(o.direction) || o.direction.length !== o.prob.length) throw ctx.error('prob', 'a list of probabilities needs a direction list of the same length');
    }
    const total = Array.isArray(o.prob) ? o.prob.reduce((a, b) => a + b, 0) : o.prob;
    if (total > 1 + 1e-9) throw ctx.error('prob', `the flip probabilities sum to ${total}, more than 1`);
    return new RandomFlip(o);
  },
  { name: 'RandomFlip', summary: 'mmcv/mmdet transform: seeded random flip of image, boxes, masks and seg map' },
);
