import { z } from 'zod';
import { UserError } from '../../core/errors';
import { hostTensor } from '../../core/host-tensor';
import { Boxes } from '../../structures/boxes';
import { InstanceData } from '../../structures/instance-data';
import type { ImageMeta } from '../../structures/image-meta';
import { PoseDataSample } from '../../structures/pose-data-sample';
import { TRANSFORMS } from '../../registry/registries';
import { toChw, type PackedSample } from './pack-det-inputs';
import type { PoseResults } from './pose-results';
import type { Results, Transform } from './results';

/** mmpose's default meta keys of PackPoseInputs. */
export const POSE_META_KEYS = [
  'id', 'img_id', 'img_path', 'category_id', 'crowd_index', 'ori_shape', 'img_shape', 'input_size', 'input_center',
  'input_scale', 'flip', 'flip_direction', 'flip_indices', 'raw_ann_info', 'dataset_name',
] as const;

export const packPoseInputsSchema = z
  .object({
    meta_keys: z.array(z.string()).default([...POSE_META_KEYS]),
    /** Also pack `transformed_keypoints` (the keypoints in the crop) into gt_instances, for visualising. */
    pack_transformed: z.boolean().default(false),
  })
  .strict();
export type PackPoseInputsOptions = z.output<typeof packPoseInputsSchema>;

/**
 * mmpose's PackPoseInputs: the crop as a C×H×W host tensor and a PoseDataSample whose
 * `gt_instances` hold `bboxes`, `bbox_scores`, `keypoints`, `keypoints_visible` and
 * `bbox_scales` (mmpose's instance mapping), and whose `gt_targets` hold the `heatmaps`
 * (mmpose's gt_fields) and `keypoint_weights` (mmpose's gt_instance_labels) that the heatmap
 * head's loss reads. Meta keys missing from the results are left out, as mmpose does.
 */
export class PackPoseInputs implements Transform {
  constructor(private readonly o: PackPoseInputsOptions) {}

  transform(results: Results): Results {
    return this.pack(results as PoseResults) as unknown as Results;
  }

  pack(results: PoseResults): PackedSample<PoseDataSample> {
    if (!results.img) throw new UserError(`${results.img_path ?? '<results>'}: PackPoseInputs needs an image: put LoadImage (and TopdownAffine) before it`);
    const meta: ImageMeta = {};
    for (const k of this.o.meta_keys) if (k in results && results[k] !== undefined) meta[k] = results[k];
    const sample = new PoseDataSample(meta);
    const gt = new InstanceData();
    if (results.bbox) gt.bboxes = Boxes.fromRows(results.bbox);
    if (results.bbox_score) gt.bbox_scores = Float32Array.from(results.bbox_score);
    if (results.keypoints) gt.keypoints = nested(results.keypoints);
    if (results.keypoints_visible) gt.keypoints_visible = nested(results.keypoints_visible);
    if (results.bbox_scale) gt.bbox_scales = nested(results.bbox_scale);
    if (this.o.pack_transformed && results.transformed_keypoints) (gt as unknown as Record<string, unknown>).transformed_keypoints = nested(results.transformed_keypoints);
    void gt.length; // the fields must agree on the instance count
    sample.gt_instances = gt;
    if (results.heatmaps && results.keypoint_weights) sample.gt_targets = { heatmaps: results.heatmaps, keypoint_weights: nested(results.keypoint_weights) };
    return { inputs: toChw(results.img), data_samples: sample };
  }
}

/** A float32 host tensor from nested lists of equal lengths ([N, K, 2], [N, K], ...). */
function nested(v: readonly unknown[]) {
  const shape: number[] = [];
  for (let x: unknown = v; Array.isArray(x); x = x[0]) shape.push(x.length);
  const data = Float32Array.from((v as unknown[]).flat(shape.length) as number[]);
  return hostTensor('float32', shape, data);
}

TRANSFORMS.register(packPoseInputsSchema, (o: PackPoseInputsOptions) => new PackPoseInputs(o), {
  name: 'PackPoseInputs',
  scope: 'mmpose',
  summary: 'mmpose transform: CHW crop + PoseDataSample (gt_instances, heatmap targets, metas)',
});
