import { z } from 'zod';
import { UserError } from '../../core/errors';
import type { HostTensor } from '../../core/host-tensor';
import { KEYPOINT_CODECS, TRANSFORMS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { need, type PoseResults } from './pose-results';
import type { Transform } from './results';

export const generateTargetSchema = z
  .object({
    /** The codec config (KEYPOINT_CODECS), e.g. {type: 'MSRAHeatmap', input_size, heatmap_size, sigma}. */
    encoder: z.object({ type: z.string() }).passthrough(),
    /** Deprecated in mmpose, without effect. */
    target_type: z.string().nullable().optional(),
    multilevel: z.literal(false).default(false),
    use_dataset_keypoint_weights: z.boolean().default(false),
  })
  .strict();
export type GenerateTargetOptions = z.output<typeof generateTargetSchema>;

/** What GenerateTarget asks of a codec: one instance's keypoints in, its targets out. */
export interface KeypointEncoder {
  encode(keypoints: Float32Array, visible: Float32Array): { heatmaps: HostTensor; weights: Float32Array };
}

/**
 * mmpose's GenerateTarget with one encoder: the keypoints in the crop (`transformed_keypoints`,
 * else `keypoints`) and their visibilities through the codec's `encode`, giving `heatmaps`
 * [K, H, W] and `keypoint_weights` [1, K] (times the dataset's joint weights with
 * `use_dataset_keypoint_weights`).
 */
export class GenerateTarget implements Transform {
  constructor(
    private readonly encoder: KeypointEncoder,
    private readonly useDatasetWeights: boolean,
  ) {}

  transform(results: PoseResults): PoseResults {
    const kpts = results.transformed_keypoints ?? results.keypoints;
    if (!kpts) throw new UserError(`${results.ann_source ?? results.img_path ?? '<results>'}: GenerateTarget needs 'transformed_keypoints' or 'keypoints' in the results`);
    const visible = need(results, 'keypoints_visible', 'GenerateTarget', 'the dataset gives it');
    if (kpts.length !== 1) throw new UserError(`GenerateTarget: the heatmap codec encodes one instance per sample, got ${kpts.length}`);
    const { heatmaps, weights } = this.encoder.encode(Float32Array.from(kpts[0].flat()), Float32Array.from(visible[0]));
    let w = [...weights];
    if (this.useDatasetWeights) {
      const dw = need(results, 'dataset_keypoint_weights', 'GenerateTarget', "use_dataset_keypoint_weights reads the dataset's metainfo");
      if (dw.length !== w.length) throw new UserError(`GenerateTarget: dataset_keypoint_weights has ${dw.length} entries for ${w.length} keypoints`);
      w = w.map((v, k) => Math.fround(v * dw[k]));
    }
    return { ...results, heatmaps, keypoint_weights: [w] };
  }
}

TRANSFORMS.register(
  generateTargetSchema,
  (o: GenerateTargetOptions, ctx: BuildContext) => {
    const codec = ctx.build(KEYPOINT_CODECS, o.encoder, 'encoder') as Partial<KeypointEncoder>;
    if (typeof codec.encode !== 'function') throw ctx.error('encoder.type', `'${o.encoder.type}' cannot encode keypoints into targets`);
    return new GenerateTarget(codec as KeypointEncoder, o.use_dataset_keypoint_weights);
  },
  { name: 'GenerateTarget', scope: 'mmpose', summary: 'mmpose transform: encode the keypoints into training targets with a codec (heatmaps, weights)' },
);
