import { z } from 'zod';
import { DataPreprocessor, imgPreprocessorOptions, type DataBatch, type ModelBatch } from './data-preprocessor';
import type { ClsDataSample } from '../../structures/cls-data-sample';
import { MODELS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';

const { bgr_to_rgb: _b, rgb_to_bgr: _r, ...common } = imgPreprocessorOptions;

export const clsDataPreprocessorSchema = z
  .object({
    ...common,
    /** mmpretrain's name for the channel swap. */
    to_rgb: z.boolean().default(false),
    num_classes: z.number().int().positive().nullable().optional(),
    /** One-hot `gt_score` from `gt_label` (soft-label losses); needs num_classes. */
    to_onehot: z.boolean().default(false),
  })
  .strict();
export type ClsDataPreprocessorOptions = z.output<typeof clsDataPreprocessorSchema>;

/** mmpretrain's ClsDataPreprocessor: normalise (`to_rgb` swaps channels), stack, optional one-hot targets. */
export class ClsDataPreprocessor extends DataPreprocessor<ClsDataSample> {
  private readonly numClasses: number | null;
  private readonly toOnehot: boolean;

  constructor(o: ClsDataPreprocessorOptions, ctx?: BuildContext) {
    super({ ...o, bgr_to_rgb: o.to_rgb, rgb_to_bgr: false }, ctx);
    if (o.to_onehot && !o.num_classes) throw (ctx ? ctx.error('num_classes', 'to_onehot needs num_classes') : new Error('to_onehot needs num_classes'));
    this.numClasses = o.num_classes ?? null;
    this.toOnehot = o.to_onehot;
  }

  process(batch: DataBatch<ClsDataSample>, _training: boolean): ModelBatch<ClsDataSample> {
    const { inputs } = this.normalizeAndStack(batch);
    for (const s of batch.data_samples) {
      if (this.toOnehot && s.gt_label && !s.gt_score) {
        const score = new Float32Array(this.numClasses!);
        for (const l of s.gt_label) score[l] = 1;
        s.gt_score = score;
      }
    }
    return { inputs, data_samples: batch.data_samples };
  }
}

MODELS.register(clsDataPreprocessorSchema, (o: ClsDataPreprocessorOptions, ctx: BuildContext) => new ClsDataPreprocessor(o, ctx), {
  name: 'ClsDataPreprocessor',
  summary: 'mmpretrain data preprocessor: normalise, stack, optional one-hot targets',
});

declare module '../../config/config-types' {
  interface ModelOptionsMap {
    ClsDataPreprocessor: import('zod').input<typeof clsDataPreprocessorSchema>;
  }
}
