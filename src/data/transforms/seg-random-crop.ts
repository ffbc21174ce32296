import { z } from 'zod';
import { UserError } from '../../core/errors';
import type { Random } from '../../core/random';
import { TRANSFORMS } from '../../registry/registries';
import { cropImage } from './crop-image';
import type { Results, SegMap, Transform } from './results';

const positive = z.number().int().positive();

export const segRandomCropSchema = z
  .object({
    /** (h, w), or one number for both. */
    crop_size: z.union([positive, z.array(positive).length(2)]),
    cat_max_ratio: z.number().positive().default(1),
    ignore_index: z.number().int().default(255),
  })
  .strict();
export type SegRandomCropOptions = z.output<typeof segRandomCropSchema>;

/** A crop window: rows y1..y2-1, columns x1..x2-1 (y2, x2 may pass the image's edge; the crop clips). */
export type CropBox = [y1: number, y2: number, x1: number, x2: number];

/**
 * mmseg's RandomCrop: a crop_size (h, w) window at an offset drawn uniformly in
 * [0, max(H - h, 0)] × [0, max(W - w, 0)] (an image smaller than the window keeps that side whole);
 * image and label map are cut, `img_shape` updated. With `cat_max_ratio` < 1 a window is redrawn
 * while one class (ignore_index left out) fills at least that share of its labelled pixels or it
 * holds fewer than two classes, at most 10 times; the window drawn last is then kept unchecked.
 */
export class SegRandomCrop implements Transform {
  private readonly size: [number, number];

  constructor(private readonly o: SegRandomCropOptions) {
    this.size = typeof o.crop_size === 'number' ? [o.crop_size, o.crop_size] : [o.crop_size[0], o.crop_size[1]];
  }

  transform(results: Results): Results {
    const img = results.img;
    if (!img) throw new UserError(`${results.img_path ?? '<results>'}: RandomCrop needs an image: put LoadImageFromFile before it`);
    if (!results.rng) throw new UserError(`${results.img_path ?? '<results>'}: RandomCrop needs results.rng, the seeded generator the data loader passes`);
    const box = this.cropBox(img.height, img.width, results.gt_seg_map, results.rng);
    const out = cropImage(img, ...box);
    const r: Results = { ...results, img: out, img_shape: [out.height, out.width] };
    if (results.gt_seg_map) r.gt_seg_map = cropImage(results.gt_seg_map, ...box);
    return r;
  }

  /** mmseg's crop_bbox: the first window, redrawn up to 10 times while cat_max_ratio rejects it. */
  cropBox(h: number, w: number, seg: SegMap | undefined, rng: Random): CropBox {
    const draw = (): CropBox => {
      const dy = rng.int(Math.max(h - this.size[0], 0) + 1);
      const dx = rng.int(Math.max(w - this.size[1], 0) + 1);
      return [dy, dy + this.size[0], dx, dx + this.size[1]];
    };
    let box = draw();
    if (this.o.cat_max_ratio >= 1) return box;
    if (!seg) throw new UserError('RandomCrop with cat_max_ratio < 1 needs gt_seg_map: put LoadAnnotations before it');
    for (let k = 0; k < 10; k++) {
      if (this.accepts(cropImage(seg, ...box).data)) break;
      box = draw();
    }
    return box;
  }

  /** At least two classes, none holding cat_max_ratio or more of the labelled pixels. */
  private accepts(labels: Uint8Array): boolean {
    const counts = new Map<number, number>();
    for (const v of labels) if (v !== this.o.ignore_index) counts.set(v, (counts.get(v) ?? 0) + 1);
    if (counts.size < 2) return false;
    let [max, sum] = [0, 0];
    for (const n of counts.values()) [max, sum] = [Math.max(max, n), sum + n];
    return max / sum < this.o.cat_max_ratio;
  }
}

TRANSFORMS.register(segRandomCropSchema, (o: SegRandomCropOptions) => new SegRandomCrop(o), {
  name: 'RandomCrop',
  scope: 'mmseg',
  summary: "mmseg transform: random crop_size (h, w) window of image and seg map (cat_max_ratio redraws), as mmseg.RandomCrop",
});
