import { z } from 'zod';
import { UserError } from '../../core/errors';
import { TRANSFORMS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import { randomResizeKwargs, resizeTo } from './resize';
import type { Results, Transform } from './results';

const pair = z.array(z.number().int().positive()).length(2);
const range = z.array(z.number().positive()).length(2);

export const randomResizeSchema = z
  .object({
    /** (w, h) scaled by a ratio drawn from `ratio_range`, or two (w, h) bounds to draw each edge between. */
    scale: z.union([pair, z.array(pair).length(2)]),
    ratio_range: range.nullable().default(null),
    ...randomResizeKwargs,
  })
  .strict();
export type RandomResizeOptions = z.output<typeof randomResizeSchema>;

/**
 * mmcv's RandomResize: draws a target scale, then resizes with mmcv's Resize (image, boxes,
 * masks, label map) and records `scale`. With one (w, h) and `ratio_range` [lo, hi]: ratio =
 * u * (hi - lo) + lo, scale = (int(w * ratio), int(h * ratio)). With two (w, h) bounds: each edge
 * uniformly among the integers between the bounds' values, ends included (`ratio_range` is then
 * unused, as in mmcv). Draws come from `results.rng`.
 */
export class RandomResize implements Transform {
  constructor(private readonly o: RandomResizeOptions) {}

  transform(results: Results): Results {
    const rng = results.rng;
    if (!rng) throw new UserError(`${results.img_path ?? '<results>'}: RandomResize needs results.rng, the seeded generator the data loader passes`);
    const scale = this.randomScale(() => rng.next(), (lo, hi) => rng.between(lo, hi));
    return { ...resizeTo(this.o, scale, results), scale };
  }

  /** The (w, h) target: `uniform` in [0, 1), `between` an integer with both ends included. */
  randomScale(uniform: () => number, between: (lo: number, hi: number) => number): [number, number] {
    const s = this.o.scale;
    if (typeof s[0] === 'number') {
      const [lo, hi] = this.o.ratio_range!;
      const ratio = uniform() * (hi - lo) + lo;
      return [Math.trunc((s[0] as number) * ratio), Math.trunc((s[1] as number) * ratio)];
    }
    const [a, b] = s as number[][];
    return [between(Math.min(a[0], b[0]), Math.max(a[0], b[0])), between(Math.min(a[1], b[1]), Math.max(a[1], b[1]))];
  }
}

TRANSFORMS.register(
  randomResizeSchema,
  (o: RandomResizeOptions, ctx: BuildContext) => {
    const single = typeof o.scale[0] === 'number';
    if (single && !o.ratio_range) throw ctx.error('ratio_range', 'one scale (w, h) needs ratio_range [min, max] to draw a ratio from');
    if (o.ratio_range && o.ratio_range[0] > o.ratio_range[1]) throw ctx.error('ratio_range', `min ${o.ratio_range[0]} is above max ${o.ratio_range[1]}`);
    return new RandomResize(o);
  },
  { name: 'RandomResize', summary: 'mmcv transform: resize to a scale drawn by ratio or between two bounds (image, boxes, masks, seg map)' },
);
