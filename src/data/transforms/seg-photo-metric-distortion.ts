import { z } from 'zod';
import { UserError } from '../../core/errors';
import type { Random } from '../../core/random';
import { TRANSFORMS } from '../../registry/registries';
import { bgrToHsv, hsvToBgr } from './hsv';
import type { Results, Transform } from './results';

const range = z.array(z.number()).length(2);

export const segPhotoMetricDistortionSchema = z
  .object({
    brightness_delta: z.number().int().min(0).default(32),
    contrast_range: range.default([0.5, 1.5]),
    saturation_range: range.default([0.5, 1.5]),
    hue_delta: z.number().int().min(0).default(18),
  })
  .strict();
export type SegPhotoMetricDistortionOptions = z.output<typeof segPhotoMetricDistortionSchema>;

const f = Math.fround;

/**
 * mmseg's PhotoMetricDistortion on an 8-bit BGR image, each step taken with probability 1/2:
 * brightness (+ uniform(-delta, delta)), then a coin for the contrast position, contrast
 * (× uniform(contrast_range)) here when it came up 1, saturation (S × uniform(saturation_range)
 * in OpenCV's HSV), hue (H + integer in [-hue_delta, hue_delta), mod 180), contrast here when
 * it came up 0. Each scaling is float32, clipped to 0-255 and truncated to uint8, as mmseg's
 * convert. Draws come from `results.rng` in that order.
 */
export class SegPhotoMetricDistortion implements Transform {
  constructor(private readonly o: SegPhotoMetricDistortionOptions) {}

  transform(results: Results): Results {
    const img = results.img;
    if (!img) throw new UserError(`${results.img_path ?? '<results>'}: PhotoMetricDistortion needs an image: put LoadImageFromFile before it`);
    if (!(img.data instanceof Uint8Array) || img.channels !== 3) throw new UserError(`${results.img_path ?? '<results>'}: PhotoMetricDistortion needs an 8-bit 3-channel (BGR) image`);
    const rng = results.rng;
    if (!rng) throw new UserError(`${results.img_path ?? '<results>'}: PhotoMetricDistortion needs results.rng, the seeded generator the data loader passes`);
    return { ...results, img: { ...img, data: this.distort(img.data, rng) } };
  }

  /** The distorted pixels (interleaved BGR), drawing from `rng` in mmseg's order. */
  distort(src: Uint8Array, rng: Random): Uint8Array {
    const { brightness_delta: bd, contrast_range: [cl, ch], saturation_range: [sl, sh], hue_delta: hd } = this.o;
    let img = src;
    if (rng.int(2)) img = convert(img, 1, rng.uniform(-bd, bd));
    const mode = rng.int(2);
    if (mode === 1 && rng.int(2)) img = convert(img, rng.uniform(cl, ch), 0);
    if (rng.int(2)) {
      const hsv = bgrToHsv(img);
      const alpha = rng.uniform(sl, sh);
      for (let i = 1; i < hsv.length; i += 3) hsv[i] = scale(hsv[i], alpha, 0);
      img = hsvToBgr(hsv);
    }
    if (rng.int(2)) {
      const hsv = bgrToHsv(img);
      const delta = rng.between(-hd, hd - 1);
      for (let i = 0; i < hsv.length; i += 3) hsv[i] = (((hsv[i] + delta) % 180) + 180) % 180;
      img = hsvToBgr(hsv);
    }
    if (mode === 0 && rng.int(2)) img = convert(img, rng.uniform(cl, ch), 0);
    return img;
  }
}

/** mmseg's convert: float32 x * alpha + beta, clipped to 0-255, truncated to uint8. */
function convert(src: Uint8Array, alpha: number, beta: number): Uint8Array {
  return Uint8Array.from(src, (v) => scale(v, alpha, beta));
}

function scale(v: number, alpha: number, beta: number): number {
  const x = f(f(v * f(alpha)) + f(beta));
  return Math.trunc(Math.min(255, Math.max(0, x)));
}

TRANSFORMS.register(segPhotoMetricDistortionSchema, (o: SegPhotoMetricDistortionOptions) => new SegPhotoMetricDistortion(o), {
  name: 'PhotoMetricDistortion',
  scope: 'mmseg',
  summary: "mmseg transform: seeded brightness, contrast, saturation and hue jitter of an 8-bit BGR image, as mmseg.PhotoMetricDistortion",
});
