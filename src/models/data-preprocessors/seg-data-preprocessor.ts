import { z } from 'zod';
import { UserError } from '../../core/errors';
import { DataPreprocessor, imgPreprocessorOptions, type DataBatch, type ModelBatch } from './data-preprocessor';
import type { SegDataSample } from '../../structures/seg-data-sample';
import { PixelData } from '../../structures/pixel-data';
import { MODELS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';

const { pad_size_divisor: _d, pad_value: _v, ...common } = imgPreprocessorOptions;
const size = z.tuple([z.number().int().positive(), z.number().int().positive()]);

export const segDataPreprocessorSchema = z
  .object({
    ...common,
    /** Pad every image to this (h, w) (the training crop size). */
    size: size.nullable().optional(),
    size_divisor: z.number().int().positive().nullable().optional(),
    pad_val: z.number().default(0),
    seg_pad_val: z.number().int().default(255),
    /** Padding at test time: {size} or {size_divisor}. */
    test_cfg: z.object({ size: size.optional(), size_divisor: z.number().int().positive().optional() }).strict().nullable().optional(),
  })
  .strict();
export type SegDataPreprocessorOptions = z.output<typeof segDataPreprocessorSchema>;

/**
 * mmseg's SegDataPreProcessor (mmseg's spelling is the registered name): normalise; in training pad images (with `pad_val`) and label maps
 * (with `seg_pad_val`) to `size` or the batch size rounded to `size_divisor`, recording
 * `padding_size` (left, right, top, bottom); at test time pad only as `test_cfg` asks (the
 * padding is cropped off the logits again before they are resized to the original image).
 */
export class SegDataPreprocessor extends DataPreprocessor<SegDataSample> {
  private readonly size: readonly [number, number] | null;
  private readonly sizeDivisor: number;
  private readonly segPadVal: number;
  private readonly testPad: { size?: readonly [number, number]; size_divisor?: number } | null;

  constructor(o: SegDataPreprocessorOptions, ctx?: BuildContext) {
    super({ ...o, pad_size_divisor: 1, pad_value: o.pad_val }, ctx);
    this.size = o.size ?? null;
    this.sizeDivisor = o.size_divisor ?? 1;
    this.segPadVal = o.seg_pad_val;
    this.testPad = o.test_cfg ?? null;
  }

  process(batch: DataBatch<SegDataSample>, training: boolean): ModelBatch<SegDataSample> {
    const images = this.normalizeAll(batch);
    const pad = training ? { size: this.size ?? undefined, size_divisor: this.sizeDivisor } : this.testPad;
    if (!training && !pad) {
      const [h, w] = [images[0].shape[1], images[0].shape[2]];
      if (images.some((i) => i.shape[1] !== h || i.shape[2] !== w)) {
        throw new UserError('test images of one batch must have the same size (set data_preprocessor.test_cfg to pad them)');
      }
    }
    const shape = this.batchShape(images, pad?.size ?? null, pad?.size_divisor ?? 1);
    batch.data_samples.forEach((s, i) => {
      const [h, w] = [images[i].shape[1], images[i].shape[2]];
      const padding: [number, number, number, number] = [0, shape[1] - w, 0, shape[0] - h];
      s.setMetainfo({ batch_input_shape: shape, pad_shape: shape, [training ? 'padding_size' : 'img_padding_size']: padding });
      if (training && s.gt_sem_seg) s.gt_sem_seg = padLabels(s.gt_sem_seg, shape, this.segPadVal);
    });
    return { inputs: this.stack(images, shape), data_samples: batch.data_samples };
  }
}

function padLabels(seg: PixelData, [bh, bw]: readonly [number, number], value: number): PixelData {
  const src = seg.array;
  const [c, h, w] = seg.shape;
  const out = new (src.constructor as new (n: number) => typeof src)(c * bh * bw).fill(value);
  for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) out.set(src.subarray((ch * h + y) * w, (ch * h + y + 1) * w), (ch * bh + y) * bw);
  return new PixelData(out, [c, bh, bw]);
}

MODELS.register(segDataPreprocessorSchema, (o: SegDataPreprocessorOptions, ctx: BuildContext) => new SegDataPreprocessor(o, ctx), {
  name: 'SegDataPreProcessor',
  summary: 'mmseg data preprocessor: normalise, pad images and label maps to the crop size',
});

declare module '../../config/config-types' {
  interface ModelOptionsMap {
    SegDataPreProcessor: import('zod').input<typeof segDataPreprocessorSchema>;
  }
}
