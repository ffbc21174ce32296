import { Random } from '../../../../src/core/random';
import { build } from '../../../../src/registry/container';
import { TRANSFORMS } from '../../../../src/registry/registries';
import { withDefaultScope } from '../../../../src/registry/registry';
import '../../../../src/components';
import type { PoseResults } from '../../../../src/data/transforms/pose-results';
import type { Transform } from '../../../../src/data/transforms/results';
import { ramp } from './sample';

/** A transform built from its config dict under mmpose's default scope, as an mmpose pipeline entry. */
export const pt = (cfg: Record<string, unknown>) => withDefaultScope('mmpose', () => build(TRANSFORMS, cfg, { path: 'pipeline.0' }) as Transform);

/** COCO's flip_indices (left and right swapped). */
export const COCO_FLIP_INDICES = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15];

/** An h×w person sample: box [10, 20, 50, 100], keypoints (k, 2k + 1) with k = 0..K-1, all visible. */
export function poseSample(h = 120, w = 80, K = 17): PoseResults {
  return {
    img: ramp(h, w),
    img_shape: [h, w],
    ori_shape: [h, w],
    bbox: [[10, 20, 50, 100]],
    bbox_score: [1],
    keypoints: [Array.from({ length: K }, (_, k) => [k, 2 * k + 1])],
    keypoints_visible: [new Array(K).fill(1)],
    flip_indices: K === 17 ? COCO_FLIP_INDICES : [...Array(K).keys()],
    upper_body_ids: [...Array(11).keys()],
    lower_body_ids: [11, 12, 13, 14, 15, 16],
    rng: new Random(3),
  };
}
