import { z } from 'zod';
import { DataPreprocessor, imgPreprocessorOptions, type DataBatch, type ModelBatch } from './data-preprocessor';
import type { DetDataSample } from '../../structures/det-data-sample';
import { BitmapMasks } from '../../structures/masks';
import { MODELS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';

export const detDataPreprocessorSchema = z
  .object({
    ...imgPreprocessorOptions,
    pad_mask: z.boolean().default(false),
    mask_pad_value: z.number().int().default(0),
    pad_seg: z.boolean().default(false),
    seg_pad_value: z.number().int().default(255),
    /** hrdet keeps boxes as typed Boxes throughout: true is the only behaviour. */
    boxtype2tensor: z.literal(true).default(true),
  })
  .strict();
export type DetDataPreprocessorOptions = z.output<typeof detDataPreprocessorSchema>;

/**
 * mmdet's DetDataPreprocessor: normalise, pad to the batch (multiple of `pad_size_divisor`),
 * record `batch_input_shape` and `pad_shape` in every sample, and with `pad_mask` pad the
 * ground-truth bitmaps to the batch size too. `pad_shape` is each image rounded up to the divisor.
 */
export class DetDataPreprocessor extends DataPreprocessor<DetDataSample> {
  private readonly padMask: boolean;
  private readonly maskPadValue: number;

  constructor(o: DetDataPreprocessorOptions, ctx?: BuildContext) {
    super(o, ctx);
    if (o.pad_seg) throw (ctx ? ctx.error('pad_seg', 'semantic-segmentation ground truth is not available for detectors') : new Error('pad_seg is not available'));
    this.padMask = o.pad_mask;
    this.maskPadValue = o.mask_pad_value;
  }

  process(batch: DataBatch<DetDataSample>, _training: boolean): ModelBatch<DetDataSample> {
    const { images, shape, inputs } = this.normalizeAndStack(batch);
    batch.data_samples.forEach((s, i) => {
      // mmdet: pad_shape is each image's own size rounded up to the divisor
      s.setMetainfo({ batch_input_shape: shape, pad_shape: this.batchShape([images[i]]) });
      const masks = s.gt_instances?.masks;
      if (this.padMask && masks instanceof BitmapMasks) s.gt_instances!.masks = padMasks(masks, shape, this.maskPadValue);
    });
    return { inputs, data_samples: batch.data_samples };
  }
}

function padMasks(m: BitmapMasks, [bh, bw]: readonly [number, number], value: number): BitmapMasks {
  const out = new Uint8Array(m.length * bh * bw).fill(value);
  for (let i = 0; i < m.length; i++) {
    const src = m.mask(i);
    for (let y = 0; y < m.height; y++) out.set(src.subarray(y * m.width, (y + 1) * m.width), (i * bh + y) * bw);
  }
  return new BitmapMasks(out, m.length, bh, bw);
}

MODELS.register(detDataPreprocessorSchema, (o: DetDataPreprocessorOptions, ctx: BuildContext) => new DetDataPreprocessor(o, ctx), {
  name: 'DetDataPreprocessor',
  summary: 'mmdet data preprocessor: normalise, pad the batch to a size divisor, record batch metas',
});

declare module '../../config/config-types' {
  interface ModelOptionsMap {
    DetDataPreprocessor: import('zod').input<typeof detDataPreprocessorSchema>;
  }
}
