import { UserError } from '../../core/errors';
import type { HostTensor } from '../../core/host-tensor';
import type { Results } from './results';

/**
 * The keys mmpose's top-down transforms pass on, shaped as mmpose's arrays (one instance:
 * N = 1): `bbox` [1, 4] x1 y1 x2 y2, `bbox_center` / `bbox_scale` [1, 2], `keypoints` [1, K, 2],
 * `keypoints_visible` [1, K]. Values are float32 numbers, as mmpose's float32 arrays hold them.
 */
export interface PoseResults extends Results {
  id?: number;
  category_id?: number;
  bbox?: number[][];
  bbox_score?: number[];
  bbox_center?: number[][];
  bbox_scale?: number[][];
  /** Degrees, one per instance (RandomBBoxTransform). */
  bbox_rotation?: number[];
  keypoints?: number[][][];
  keypoints_visible?: number[][];
  num_keypoints?: number;
  area?: number;
  iscrowd?: number;
  /** The dataset's metainfo the pipeline reads (mmpose copies these into every data info). */
  dataset_name?: string;
  upper_body_ids?: number[];
  lower_body_ids?: number[];
  flip_indices?: number[];
  flip_pairs?: [number, number][];
  dataset_keypoint_weights?: number[];
  skeleton_links?: [number, number][];
  /** TopdownAffine: the crop size (w, h), its centre and scale (w, h) in the image, the keypoints in the crop. */
  input_size?: [number, number];
  input_center?: [number, number];
  input_scale?: [number, number];
  transformed_keypoints?: number[][][];
  /** GenerateTarget (MSRAHeatmap): [K, H, W] target heatmaps and [1, K] keypoint weights. */
  heatmaps?: HostTensor;
  keypoint_weights?: number[][];
}

/** The value of `key`, or one line saying which transform needs it and what provides it. */
export function need<K extends keyof PoseResults>(results: PoseResults, key: K, transform: string, from: string): NonNullable<PoseResults[K]> {
  const v = results[key];
  if (v === undefined || v === null) {
    throw new UserError(`${results.ann_source ?? results.img_path ?? '<results>'}: ${transform} needs '${String(key)}' in the results (${from})`);
  }
  return v as NonNullable<PoseResults[K]>;
}
