import { z } from 'zod';
import { UserError } from '../../core/errors';
import type { Random } from '../../core/random';
import { TRANSFORMS } from '../../registry/registries';
import { need, type PoseResults } from './pose-results';
import type { Transform } from './results';

export const randomHalfBodySchema = z
  .object({
    min_total_keypoints: z.number().int().min(0).default(9),
    min_upper_keypoints: z.number().int().min(0).default(2),
    min_lower_keypoints: z.number().int().min(0).default(3),
    padding: z.number().positive().default(1.5),
    prob: z.number().min(0).max(1).default(0.3),
    upper_prioritized_prob: z.number().min(0).max(1).default(0.7),
  })
  .strict();
export type RandomHalfBodyOptions = z.output<typeof randomHalfBodySchema>;

/**
 * mmpose's RandomHalfBody: for a person with at least `min_total_keypoints` visible keypoints,
 * with probability `prob` the box becomes that of the visible upper-body keypoints
 * (preferred with probability `upper_prioritized_prob`) or lower-body ones: centre their mean,
 * scale their extent times `padding`. A half with too few visible keypoints
 * (`min_upper_keypoints`, `min_lower_keypoints`) is not chosen; with both too few nothing changes.
 * The body halves are the dataset's `upper_body_ids` / `lower_body_ids`. Draws from `results.rng`.
 */
export class RandomHalfBody implements Transform {
  constructor(private readonly o: RandomHalfBodyOptions) {}

  transform(results: PoseResults): PoseResults {
    const rng = results.rng;
    if (!rng) throw new UserError(`${results.img_path ?? '<results>'}: RandomHalfBody needs results.rng, the seeded generator the data loader passes`);
    const from = 'the dataset gives it';
    const visible = need(results, 'keypoints_visible', 'RandomHalfBody', from);
    const upper = need(results, 'upper_body_ids', 'RandomHalfBody', "the dataset's metainfo gives it");
    const lower = need(results, 'lower_body_ids', 'RandomHalfBody', "the dataset's metainfo gives it");
    const keypoints = need(results, 'keypoints', 'RandomHalfBody', from);
    const centers = need(results, 'bbox_center', 'RandomHalfBody', 'put GetBBoxCenterScale before it');
    const scales = need(results, 'bbox_scale', 'RandomHalfBody', 'put GetBBoxCenterScale before it');
    const picks = visible.map((v) => this.select(v, upper, lower, rng));
    return {
      ...results,
      bbox_center: picks.map((ids, i) => (ids ? this.halfBox(keypoints[i], ids).center : [...centers[i]])),
      bbox_scale: picks.map((ids, i) => (ids ? this.halfBox(keypoints[i], ids).scale : [...scales[i]])),
    };
  }

  /** The keypoint ids of the chosen half, or null to keep the box (mmpose's _random_select_half_body). */
  select(visible: readonly number[], upper: readonly number[], lower: readonly number[], rng: Random): number[] | null {
    if (visible.reduce((a, b) => a + b, 0) < this.o.min_total_keypoints) return null;
    if (rng.next() > this.o.prob) return null;
    const up = upper.filter((i) => visible[i] > 0);
    const low = lower.filter((i) => visible[i] > 0);
    const preferUpper = rng.next() < this.o.upper_prioritized_prob;
    const upOk = up.length >= this.o.min_upper_keypoints;
    const lowOk = low.length >= this.o.min_lower_keypoints;
    if (!upOk && !lowOk) return null;
    if (!lowOk) return up;
    if (!upOk) return low;
    return preferUpper ? up : low;
  }

  /** Centre = mean of the chosen keypoints, scale = their extent times `padding` (float32). */
  halfBox(kpts: readonly number[][], ids: readonly number[]): { center: number[]; scale: number[] } {
    const f = Math.fround;
    const pts = ids.map((i) => kpts[i]);
    const mean = (d: number) => f(pts.reduce((a, p) => a + p[d], 0) / pts.length);
    const extent = (d: number) => f(Math.max(...pts.map((p) => p[d])) - Math.min(...pts.map((p) => p[d])));
    return { center: [mean(0), mean(1)], scale: [f(extent(0) * this.o.padding), f(extent(1) * this.o.padding)] };
  }
}

TRANSFORMS.register(randomHalfBodySchema, (o: RandomHalfBodyOptions) => new RandomHalfBody(o), {
  name: 'RandomHalfBody',
  scope: 'mmpose',
  summary: 'mmpose transform: seeded crop to the upper or lower body',
});
