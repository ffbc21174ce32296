import { z } from 'zod';
import { DataPreprocessor, imgPreprocessorOptions, type DataBatch, type ModelBatch } from './data-preprocessor';
import type { PoseDataSample } from '../../structures/pose-data-sample';
import { MODELS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';

export const poseDataPreprocessorSchema = z.object(imgPreprocessorOptions).strict();
export type PoseDataPreprocessorOptions = z.output<typeof poseDataPreprocessorSchema>;

/** mmpose's PoseDataPreprocessor (mmengine's ImgDataPreprocessor): normalise and stack the crops. */
export class PoseDataPreprocessor extends DataPreprocessor<PoseDataSample> {
  process(batch: DataBatch<PoseDataSample>, _training: boolean): ModelBatch<PoseDataSample> {
    const { inputs, shape } = this.normalizeAndStack(batch);
    batch.data_samples.forEach((s) => s.setMetainfo({ batch_input_shape: shape }));
    return { inputs, data_samples: batch.data_samples };
  }
}

MODELS.register(poseDataPreprocessorSchema, (o: PoseDataPreprocessorOptions, ctx: BuildContext) => new PoseDataPreprocessor(o, ctx), {
  name: 'PoseDataPreprocessor',
  summary: 'mmpose data preprocessor: normalise and stack the person crops',
});

declare module '../../config/config-types' {
  interface ModelOptionsMap {
    PoseDataPreprocessor: import('zod').input<typeof poseDataPreprocessorSchema>;
  }
}
