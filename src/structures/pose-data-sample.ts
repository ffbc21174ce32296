import type { HostTensor } from '../core/host-tensor';
import { DataSample } from './data-sample';
import type { InstanceData } from './instance-data';

/** Training targets of a top-down sample (mmpose's `gt_fields` and `gt_instance_labels`). */
export interface PoseTargets {
  /** [K, h, w] target heatmaps (one per keypoint; max over the instances). */
  heatmaps: HostTensor;
  /** [N, K] per-keypoint loss weights. */
  keypoint_weights: HostTensor;
}

/** mmpose's PoseDataSample: person instances, training targets, predicted keypoints. */
export class PoseDataSample extends DataSample {
  gt_instances?: InstanceData;
  gt_targets?: PoseTargets;
  pred_instances?: InstanceData;
  /** Predicted heatmaps, when the test config asks for them (`output_heatmaps`). */
  pred_heatmaps?: HostTensor;
}
