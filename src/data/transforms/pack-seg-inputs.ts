import { z } from 'zod';
import { UserError } from '../../core/errors';
import { PixelData } from '../../structures/pixel-data';
import { SegDataSample } from '../../structures/seg-data-sample';
import type { ImageMeta } from '../../structures/image-meta';
import { TRANSFORMS } from '../../registry/registries';
import { toChw, type PackedSample } from './pack-det-inputs';
import type { Results, Transform } from './results';

/** mmseg's default meta keys. */
export const SEG_META_KEYS = ['img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape', 'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label'] as const;

export const packSegInputsSchema = z
  .object({
    meta_keys: z.array(z.string()).default([...SEG_META_KEYS]),
  })
  .strict();
export type PackSegInputsOptions = z.output<typeof packSegInputsSchema>;

/**
 * mmseg's PackSegInputs: the image as a C×H×W host tensor (as PackDetInputs), and a
 * SegDataSample whose `gt_sem_seg` is the label map as PixelData [1, H, W] (int32; mmseg's
 * int64), with the meta keys the results hold (mmseg skips missing ones, it does not assert).
 */
export class PackSegInputs implements Transform {
  constructor(private readonly o: PackSegInputsOptions) {}

  transform(results: Results): Results {
    return this.pack(results) as unknown as Results;
  }

  pack(results: Results): PackedSample<SegDataSample> {
    if (!results.img) throw new UserError(`${results.img_path ?? '<results>'}: PackSegInputs needs an image: put LoadImageFromFile before it`);
    const meta: ImageMeta = {};
    for (const k of this.o.meta_keys) if (k in results) meta[k] = results[k];
    const sample = new SegDataSample(meta);
    const seg = results.gt_seg_map;
    if (seg) sample.gt_sem_seg = new PixelData(Int32Array.from(seg.data), [1, seg.height, seg.width]);
    return { inputs: toChw(results.img), data_samples: sample };
  }
}

TRANSFORMS.register(packSegInputsSchema, (o: PackSegInputsOptions) => new PackSegInputs(o), {
  name: 'PackSegInputs',
  summary: 'mmseg transform: CHW image + SegDataSample (gt_sem_seg [1, H, W], metas)',
});
