import { z } from 'zod';
import { UserError } from '../../core/errors';
import { TRANSFORMS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { padImage } from './image-ops';
import { padMasks } from './mask-ops';
import type { Results, Transform } from './results';

const padVal = z.union([z.number(), z.object({ img: z.number().optional(), seg: z.number().optional(), masks: z.number().optional() }).strict()]);

export const padSchema = z
  .object({
    size_divisor: z.number().int().positive().nullable().optional(),
    pad_to_square: z.boolean().default(false),
    pad_val: padVal.default({ img: 0, seg: 255 }),
    padding_mode: z.literal('constant').default('constant'),
    /** A fixed pad size is not available yet: pad to a divisor or to a square. */
    size: z.null().optional(),
  })
  .strict();
export type PadOptions = z.output<typeof padSchema>;

/**
 * mmdet's Pad: pads the image at the bottom and right, to a square of its longer side
 * (`pad_to_square`) and/or up to a multiple of `size_divisor`, with `pad_val` (a number, or
 * `{img, masks, seg}`); records `pad_shape`, `pad_fixed_size` and `pad_size_divisor`. Masks are padded
 * to the same size with `pad_val.masks` (default 0), the label map `gt_seg_map` with `pad_val.seg`
 * (default 255, as mmcv).
 */
export class Pad implements Transform {
  constructor(private readonly o: PadOptions) {}

  transform(results: Results): Results {
    const img = results.img;
    if (!img) throw new UserError(`${results.img_path ?? '<results>'}: Pad needs an image: put LoadImageFromFile before it`);
    let [h, w] = [img.height, img.width];
    if (this.o.pad_to_square) h = w = Math.max(h, w);
    const d = this.o.size_divisor;
    if (d) [h, w] = [Math.ceil(h / d) * d, Math.ceil(w / d) * d];
    const v = this.o.pad_val;
    const imgVal = typeof v === 'number' ? v : (v.img ?? 0);
    const maskVal = typeof v === 'number' ? 0 : (v.masks ?? 0);
    const out: Results = { ...results, img: padImage(img, h, w, imgVal), pad_shape: [h, w], pad_fixed_size: null, pad_size_divisor: d ?? null };
    if (results.gt_masks) out.gt_masks = padMasks(results.gt_masks, h, w, maskVal);
    if (results.gt_seg_map) out.gt_seg_map = padImage(results.gt_seg_map, h, w, typeof v === 'number' ? 255 : (v.seg ?? 255)) as typeof results.gt_seg_map;
    return out;
  }
}

TRANSFORMS.register(
  padSchema,
  (o: PadOptions, ctx: BuildContext) => {
    if (!o.size_divisor && !o.pad_to_square) throw ctx.error('size_divisor', 'give size_divisor or pad_to_square');
    return new Pad(o);
  },
  { name: 'Pad', summary: 'mmdet transform: pad image and masks bottom/right to a size divisor or a square' },
);
