import { z } from 'zod';
import { UserError } from '../../core/errors';
import { TRANSFORMS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { resizeImage } from './image-ops';
import { resizeMasks } from './mask-ops';
import type { Results, Transform } from './results';

const size = z.union([z.number().int().positive(), z.array(z.number().int().positive()).length(2)]);
const factor = z.union([z.number().positive(), z.array(z.number().positive()).length(2)]);

/** Resize's options besides its target. */
const resizeKwargs = {
  keep_ratio: z.boolean().default(false),
  clip_object_border: z.boolean().default(true),
  interpolation: z.enum(['bilinear', 'nearest']).default('bilinear'),
  backend: z.literal('cv2').default('cv2'),
};

export const resizeSchema = z
  .object({
    /** Target (w, h), or one number for both; with keep_ratio the long and short edge limits. */
    scale: size.nullable().optional(),
    /** Instead of `scale`: multiply (w, h) by this (one number or [w, h]). */
    scale_factor: factor.nullable().optional(),
    ...resizeKwargs,
  })
  .strict();
export type ResizeOptions = z.output<typeof resizeSchema>;

/** What mmcv's random resizes take besides their scales: `resize_type` and the Resize options they pass on (**resize_kwargs). */
export const randomResizeKwargs = {
  /** mmcv builds the resize by this name; hrdet's (mmcv's) Resize is the one there is. */
  resize_type: z.literal('Resize').default('Resize'),
  ...resizeKwargs,
};
type RandomResizeKwargs = { [K in keyof typeof resizeKwargs]: z.output<(typeof resizeKwargs)[K]> };

/** mmcv's Resize to a drawn `scale` with a random resize's pass-on options. */
export function resizeTo(o: RandomResizeKwargs, scale: number | number[], results: Results): Results {
  const { keep_ratio, clip_object_border, interpolation, backend } = o;
  return new Resize(resizeSchema.parse({ keep_ratio, clip_object_border, interpolation, backend, scale })).transform(results);
}

/**
 * mmdet's Resize. With `keep_ratio` the image is scaled by min(long / max(h, w), short / min(h, w))
 * of the scale's long and short edges and the size rounded as mmcv's rescale_size
 * (int(x * f + 0.5)); otherwise it goes to `scale` exactly. `scale_factor` is recorded as the
 * (w, h) ratios of the sizes actually produced, as mmdet does; boxes are scaled by it (and clipped
 * to the new image with clip_object_border), masks resized with nearest sampling.
 */
export class Resize implements Transform {
  constructor(private readonly o: ResizeOptions) {}

  transform(results: Results): Results {
    const img = results.img;
    if (!img) throw new UserError(`${results.img_path ?? '<results>'}: Resize needs an image: put LoadImageFromFile before it`);
    const [newH, newW] = targetSize(img.height, img.width, this.o);
    const out: Results = { ...results, img: resizeImage(img, newH, newW, this.o.interpolation) };
    const sf: [number, number] = [newW / img.width, newH / img.height];
    out.img_shape = [newH, newW];
    out.scale = [newW, newH];
    out.scale_factor = sf;
    out.keep_ratio = this.o.keep_ratio;
    if (results.gt_bboxes) {
      const b = results.gt_bboxes.scale(sf[0], sf[1]);
      out.gt_bboxes = this.o.clip_object_border ? b.clip([newH, newW]) : b;
    }
    if (results.gt_masks) out.gt_masks = resizeMasks(results.gt_masks, newH, newW);
    // mmcv's _resize_seg: the label map by the same rule from its own size, always nearest
    const seg = results.gt_seg_map;
    if (seg) {
      const [segH, segW] = targetSize(seg.height, seg.width, this.o);
      out.gt_seg_map = resizeImage(seg, segH, segW, 'nearest') as typeof seg;
    }
    return out;
  }
}

/** (h, w) after resizing an h×w image. */
export function targetSize(h: number, w: number, o: Pick<ResizeOptions, 'scale' | 'scale_factor' | 'keep_ratio'>): [number, number] {
  if (o.scale != null) {
    const [sw, sh] = typeof o.scale === 'number' ? [o.scale, o.scale] : o.scale;
    if (!o.keep_ratio) return [sh, sw];
    const f = Math.min(Math.max(sw, sh) / Math.max(h, w), Math.min(sw, sh) / Math.min(h, w));
    return [Math.trunc(h * f + 0.5), Math.trunc(w * f + 0.5)];
  }
  const [fw, fh] = typeof o.scale_factor === 'number' ? [o.scale_factor, o.scale_factor] : o.scale_factor!;
  // mmcv's Resize turns scale_factor into a scale first, then rescales to it like a given scale
  const scale: [number, number] = [Math.trunc(w * fw + 0.5), Math.trunc(h * fh + 0.5)];
  return targetSize(h, w, { scale, keep_ratio: o.keep_ratio });
}

TRANSFORMS.register(
  resizeSchema,
  (o: ResizeOptions, ctx: BuildContext) => {
    if ((o.scale == null) === (o.scale_factor == null)) throw ctx.error('scale', 'give exactly one of scale and scale_factor');
    return new Resize(o);
  },
  { name: 'Resize', summary: 'mmcv/mmdet transform: resize image, boxes, masks and seg map (keep_ratio as mmcv); records scale_factor (w, h)' },
);
