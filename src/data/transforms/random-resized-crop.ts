import { z } from 'zod';
import { UserError } from '../../core/errors';
import type { Random } from '../../core/random';
import { TRANSFORMS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { cropImage } from './crop-image';
import { imresize, PILLOW_INTERPOLATIONS } from './pillow-resize';
import { pyRound } from './py-round';
import type { Results, Transform } from './results';

const positive = z.number().int().positive();
const range = z.array(z.number().positive()).length(2);

export const randomResizedCropSchema = z
  .object({
    /** Output (h, w), or one number for a square. */
    scale: z.union([positive, z.array(positive).length(2)]),
    crop_ratio_range: range.default([0.08, 1]),
    aspect_ratio_range: range.default([3 / 4, 4 / 3]),
    max_attempts: z.number().int().min(0).default(10),
    interpolation: z.enum(PILLOW_INTERPOLATIONS).default('bilinear'),
    backend: z.enum(['cv2', 'pillow']).default('cv2'),
  })
  .strict();
export type RandomResizedCropOptions = z.output<typeof randomResizedCropSchema>;

/** A crop: offset (y, x) and size (h, w). */
export type CropParams = [offsetH: number, offsetW: number, targetH: number, targetW: number];

/**
 * mmpretrain's RandomResizedCrop: up to `max_attempts` times draw an area share from
 * `crop_ratio_range` and a log-uniform aspect ratio (w / h) from `aspect_ratio_range`, size
 * w = round(sqrt(area * ratio)), h = round(sqrt(area / ratio)) (Python's round); the first that
 * fits gets a uniform offset. Otherwise the central crop of the image clamped to the ratio range.
 * The crop is resized to `scale` (h, w) with mmcv's imresize (`backend` cv2 or pillow). Draws
 * come from `results.rng`.
 */
export class RandomResizedCrop implements Transform {
  private readonly size: [number, number];

  constructor(private readonly o: RandomResizedCropOptions) {
    this.size = typeof o.scale === 'number' ? [o.scale, o.scale] : [o.scale[0], o.scale[1]];
  }

  transform(results: Results): Results {
    const img = results.img;
    if (!img) throw new UserError(`${results.img_path ?? '<results>'}: RandomResizedCrop needs an image: put LoadImageFromFile before it`);
    if (!results.rng) throw new UserError(`${results.img_path ?? '<results>'}: RandomResizedCrop needs results.rng, the seeded generator the data loader passes`);
    const [y, x, h, w] = this.cropParams(img.height, img.width, results.rng);
    const out = imresize(cropImage(img, y, y + h, x, x + w), this.size[0], this.size[1], this.o.interpolation, this.o.backend, 'RandomResizedCrop.interpolation');
    return { ...results, img: out, img_shape: [out.height, out.width] };
  }

  /** mmpretrain's rand_crop_params for an h×w image. */
  cropParams(h: number, w: number, rng: Random): CropParams {
    const area = h * w;
    const [rlo, rhi] = this.o.aspect_ratio_range;
    for (let k = 0; k < this.o.max_attempts; k++) {
      const target = rng.uniform(this.o.crop_ratio_range[0], this.o.crop_ratio_range[1]) * area;
      const ratio = Math.exp(rng.uniform(Math.log(rlo), Math.log(rhi)));
      const tw = pyRound(Math.sqrt(target * ratio));
      const th = pyRound(Math.sqrt(target / ratio));
      if (tw > 0 && tw <= w && th > 0 && th <= h) return [rng.int(h - th + 1), rng.int(w - tw + 1), th, tw];
    }
    const inRatio = w / h;
    let [th, tw] = [h, w];
    if (inRatio < Math.min(rlo, rhi)) th = pyRound(w / Math.min(rlo, rhi));
    else if (inRatio > Math.max(rlo, rhi)) tw = pyRound(h * Math.max(rlo, rhi));
    return [Math.floor((h - th) / 2), Math.floor((w - tw) / 2), th, tw];
  }
}

TRANSFORMS.register(
  randomResizedCropSchema,
  (o: RandomResizedCropOptions, ctx: BuildContext) => {
    for (const key of ['crop_ratio_range', 'aspect_ratio_range'] as const) {
      if (o[key][0] > o[key][1]) throw ctx.error(key, `should be (min, max), got [${o[key].join(', ')}]`);
    }
    if (o.backend === 'cv2' && o.interpolation === 'bicubic') throw ctx.error('interpolation', "'bicubic' is available with backend 'pillow' only (cv2: nearest, bilinear)");
    return new RandomResizedCrop(o);
  },
  { name: 'RandomResizedCrop', summary: 'mmpretrain transform: random area / aspect-ratio crop resized to scale (h, w); cv2 or pillow resize' },
);
