import { z } from 'zod';
import { UserError } from '../../core/errors';
import type { Random } from '../../core/random';
import { TRANSFORMS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { need, type PoseResults } from './pose-results';
import type { Transform } from './results';

const p = z.number().min(0).max(1);

export const randomBBoxTransformSchema = z
  .object({
    shift_factor: z.number().min(0).default(0.16),
    shift_prob: p.default(0.3),
    scale_factor: z.tuple([z.number().positive(), z.number().positive()]).default([0.5, 1.5]),
    scale_prob: p.default(1.0),
    rotate_factor: z.number().min(0).default(80.0),
    rotate_prob: p.default(0.6),
  })
  .strict();
export type RandomBBoxTransformOptions = z.output<typeof randomBBoxTransformSchema>;

/** The random draws for one box: shift (fractions of its scale), scale factor, rotation in degrees. */
export interface BBoxJitter {
  offset: [number, number];
  scale: number;
  rotate: number;
}

/**
 * mmpose's RandomBBoxTransform: each box is shifted by t * shift_factor of its scale (with
 * probability shift_prob), rescaled by mu + t * sigma of `scale_factor`'s range (scale_prob) and
 * rotated by t * rotate_factor degrees (rotate_prob, recorded as `bbox_rotation`), every t from a
 * standard normal truncated to [-1, 1]. Draws from `results.rng`: four t's, then the three
 * coin flips, as mmpose orders its draws.
 */
export class RandomBBoxTransform implements Transform {
  constructor(private readonly o: RandomBBoxTransformOptions) {}

  transform(results: PoseResults): PoseResults {
    const rng = results.rng;
    if (!rng) throw new UserError(`${results.img_path ?? '<results>'}: RandomBBoxTransform needs results.rng, the seeded generator the data loader passes`);
    const centers = need(results, 'bbox_center', 'RandomBBoxTransform', 'put GetBBoxCenterScale before it');
    const scales = need(results, 'bbox_scale', 'RandomBBoxTransform', 'put GetBBoxCenterScale before it');
    const f = Math.fround;
    const jitters = scales.map(() => this.draw(rng));
    return {
      ...results,
      bbox_center: centers.map(([x, y], i) => [f(x + f(jitters[i].offset[0] * scales[i][0])), f(y + f(jitters[i].offset[1] * scales[i][1]))]),
      bbox_scale: scales.map(([w, h], i) => [f(w * jitters[i].scale), f(h * jitters[i].scale)]),
      bbox_rotation: jitters.map((j) => j.rotate),
    };
  }

  /** One box's parameters (mmpose's _get_transform_params for n = 1). */
  draw(rng: Random): BBoxJitter {
    const f = Math.fround;
    const t = [truncNormal(rng), truncNormal(rng), truncNormal(rng), truncNormal(rng)].map(f);
    const [lo, hi] = this.o.scale_factor;
    const shift = rng.next() < this.o.shift_prob;
    const scale = rng.next() < this.o.scale_prob;
    const rotate = rng.next() < this.o.rotate_prob;
    // float32 arithmetic, the factors taken to float32 first, as numpy does with float32 draws
    const [sf, sigma, mu, rf] = [f(this.o.shift_factor), f((hi - lo) * 0.5), f((hi + lo) * 0.5), f(this.o.rotate_factor)];
    return {
      offset: shift ? [f(t[0] * sf), f(t[1] * sf)] : [0, 0],
      scale: scale ? f(f(t[2] * sigma) + mu) : 1,
      rotate: rotate ? f(t[3] * rf) : 0,
    };
  }
}

/** A standard normal truncated to [-1, 1] (scipy's truncnorm(-1, 1)), by rejection. */
export function truncNormal(rng: Random): number {
  for (;;) {
    const z = rng.normal();
    if (z >= -1 && z <= 1) return z;
  }
}

TRANSFORMS.register(
  randomBBoxTransformSchema,
  (o: RandomBBoxTransformOptions, ctx: BuildContext) => {
    if (o.scale_factor[0] > o.scale_factor[1]) throw ctx.error('scale_factor', `expected (min, max), got [${o.scale_factor.join(', ')}]`);
    return new RandomBBoxTransform(o);
  },
  { name: 'RandomBBoxTransform', scope: 'mmpose', summary: 'mmpose transform: seeded random shift, scale and rotation of the person box' },
);
