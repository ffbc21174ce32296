/**
 * What mmpose's CocoMetric reads from one PoseDataSample, as plain values: the sample `id`
 * (top-down: the GT instance or detected box it was cropped from), `img_id`, and per instance
 * K keypoints (x, y in image coordinates) with their scores and the box score.
 */
export interface PoseMetricSample {
  id: number;
  img_id: number;
  category_id?: number;
  pred_instances: {
    keypoints: readonly (readonly (readonly number[])[])[];
    keypoint_scores: readonly (readonly number[])[];
    bbox_scores?: readonly number[];
    areas?: readonly number[];
  };
}
