import { z } from 'zod';
import { UserError } from '../../core/errors';
import { TRANSFORMS } from '../../registry/registries';
import { cropImage } from './crop-image';
import { padImage } from './image-ops';
import { pyRound } from './py-round';
import type { Results, Transform } from './results';

const positive = z.number().int().positive();
const padVal = z.union([z.number(), z.object({ img: z.number().optional(), seg: z.number().optional() }).strict()]);

export const centerCropSchema = z
  .object({
    /** (w, h), or one number for both (mmcv's order; mmseg's RandomCrop takes (h, w)). */
    crop_size: z.union([positive, z.array(positive).length(2)]),
    auto_pad: z.boolean().default(false),
    /** The padding auto_pad applies: mmcv's Pad, constant, bottom and right. */
    pad_cfg: z
      .object({ type: z.literal('Pad'), pad_val: padVal.default({ img: 0, seg: 255 }), padding_mode: z.literal('constant').default('constant') })
      .strict()
      .default({ type: 'Pad' }),
    clip_object_border: z.boolean().default(true),
  })
  .strict();
export type CenterCropOptions = z.output<typeof centerCropSchema>;

/**
 * mmcv's CenterCrop: a crop_size (w, h) window at y1 = round((H - h) / 2), x1 = round((W - w) / 2)
 * (Python's round, ties to even), cut from image, label map and boxes (shifted, clipped with
 * clip_object_border). A side smaller than the window is kept whole, or with `auto_pad` padded
 * up to it first. Sets `img_shape` and `pad_shape`.
 */
export class CenterCrop implements Transform {
  private readonly size: [number, number];

  constructor(private readonly o: CenterCropOptions) {
    this.size = typeof o.crop_size === 'number' ? [o.crop_size, o.crop_size] : [o.crop_size[0], o.crop_size[1]];
  }

  transform(results: Results): Results {
    let r = results;
    if (!r.img) throw new UserError(`${r.img_path ?? '<results>'}: CenterCrop needs an image: put LoadImageFromFile before it`);
    let [cw, ch] = this.size;
    let [H, W] = [r.img.height, r.img.width];
    if (ch > H || cw > W) {
      if (this.o.auto_pad) {
        [H, W] = [Math.max(H, ch), Math.max(W, cw)];
        r = this.pad(r, H, W);
      } else [ch, cw] = [Math.min(ch, H), Math.min(cw, W)];
    }
    const y1 = Math.max(0, pyRound((H - ch) / 2));
    const x1 = Math.max(0, pyRound((W - cw) / 2));
    const [y2, x2] = [Math.min(H, y1 + ch), Math.min(W, x1 + cw)];
    const img = cropImage(r.img!, y1, y2, x1, x2);
    const out: Results = { ...r, img, img_shape: [img.height, img.width], pad_shape: [img.height, img.width] };
    if (r.gt_seg_map) out.gt_seg_map = cropImage(r.gt_seg_map, y1, y2, x1, x2);
    if (r.gt_bboxes) {
      const b = r.gt_bboxes.translate(-x1, -y1);
      out.gt_bboxes = this.o.clip_object_border ? b.clip([img.height, img.width]) : b;
    }
    return out;
  }

  private pad(r: Results, h: number, w: number): Results {
    const v = this.o.pad_cfg.pad_val;
    const out: Results = { ...r, img: padImage(r.img!, h, w, typeof v === 'number' ? v : (v.img ?? 0)), pad_shape: [h, w] };
    if (r.gt_seg_map) out.gt_seg_map = padImage(r.gt_seg_map, h, w, typeof v === 'number' ? 255 : (v.seg ?? 255)) as typeof r.gt_seg_map;
    return out;
  }
}

TRANSFORMS.register(centerCropSchema, (o: CenterCropOptions) => new CenterCrop(o), {
  name: 'CenterCrop',
  summary: 'mmcv transform: centre crop_size (w, h) window of image, seg map and boxes (auto_pad pads first)',
});
