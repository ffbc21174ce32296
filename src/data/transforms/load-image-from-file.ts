import { existsSync } from 'node:fs';
import { z } from 'zod';
import { FileError } from '../../core/errors';
import { TRANSFORMS } from '../../registry/registries';
import { readImage } from '../image-io/decode-image';
import type { Results, Transform } from './results';

export const loadImageFromFileSchema = z
  .object({
    to_float32: z.boolean().default(false),
    color_type: z.enum(['color', 'grayscale', 'unchanged']).default('color'),
    /** Both names select hrdet's one reader (sharp, with mmcv's cv2 reading rules). */
    imdecode_backend: z.enum(['cv2', 'pillow']).default('cv2'),
    ignore_empty: z.boolean().default(false),
    /** Files are read from the local disk only. */
    backend_args: z.null().optional(),
    file_client_args: z.null().optional(),
  })
  .strict();
export type LoadImageFromFileOptions = z.output<typeof loadImageFromFileSchema>;

/**
 * mmcv's LoadImageFromFile: reads `img_path` (BGR, as mmcv), sets `img`, `img_shape` and
 * `ori_shape`. `imdecode_backend` 'cv2' and 'pillow' read the same way: mmcv's cv2 rules
 * (EXIF orientation, 16-bit, palette), which are what its default backend does.
 */
export class LoadImageFromFile implements Transform {
  constructor(private readonly o: LoadImageFromFileOptions) {}

  async transform(results: Results): Promise<Results | null> {
    const file = results.img_path;
    if (typeof file !== 'string') throw new FileError(results.ann_source ?? '<results>', 'LoadImageFromFile needs img_path');
    if (!existsSync(file)) {
      if (this.o.ignore_empty) return null;
      if (results.ann_source) throw new FileError(results.ann_source, `file_name: image file ${file} does not exist`);
    }
    const img = await readImage(file, { colorType: this.o.color_type, channelOrder: 'bgr' });
    const out = this.o.to_float32 ? { ...img, data: Float32Array.from(img.data) } : img;
    return { ...results, img: out, img_shape: [img.height, img.width], ori_shape: [img.height, img.width] };
  }
}

TRANSFORMS.register(loadImageFromFileSchema, (o: LoadImageFromFileOptions) => new LoadImageFromFile(o), {
  name: 'LoadImageFromFile',
  summary: 'mmcv transform: read img_path (BGR), set img, img_shape, ori_shape',
});
