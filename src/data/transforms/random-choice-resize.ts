import { z } from 'zod';
import { UserError } from '../../core/errors';
import { TRANSFORMS } from '../../registry/registries';
import { randomResizeKwargs, resizeTo } from './resize';
import type { Results, Transform } from './results';

const scale = z.union([z.number().int().positive(), z.array(z.number().int().positive()).length(2)]);

export const randomChoiceResizeSchema = z
  .object({
    /** The candidate scales: (w, h) pairs or single numbers (one of them alone is a list of one). */
    scales: z.union([z.array(scale).min(1), scale]),
    ...randomResizeKwargs,
  })
  .strict();
export type RandomChoiceResizeOptions = z.output<typeof randomChoiceResizeSchema>;

/**
 * mmcv's RandomChoiceResize: one of `scales` drawn uniformly (np.random.randint(len(scales)),
 * here from `results.rng`), then mmcv's Resize to it (image, boxes, masks, label map); the
 * drawn position is recorded as `scale_idx`.
 */
export class RandomChoiceResize implements Transform {
  readonly scales: (number | number[])[];

  constructor(private readonly o: RandomChoiceResizeOptions) {
    // a bare (w, h) pair is one scale: mmcv's tuple, which is "not a list" (JSON has no tuples,
    // so two numbers are read as one (w, h), not as two square scales)
    const s = o.scales;
    this.scales = typeof s === 'number' ? [s] : isPair(s) ? [s as number[]] : (s as (number | number[])[]);
  }

  transform(results: Results): Results {
    const rng = results.rng;
    if (!rng) throw new UserError(`${results.img_path ?? '<results>'}: RandomChoiceResize needs results.rng, the seeded generator the data loader passes`);
    const scaleIdx = rng.int(this.scales.length);
    return { ...resizeTo(this.o, this.scales[scaleIdx], results), scale_idx: scaleIdx };
  }
}

/** `[w, h]` written as the whole option: in mmcv a tuple, which is not a list of scales. */
function isPair(s: unknown[]): boolean {
  return s.length === 2 && s.every((x) => typeof x === 'number');
}

TRANSFORMS.register(randomChoiceResizeSchema, (o: RandomChoiceResizeOptions) => new RandomChoiceResize(o), {
  name: 'RandomChoiceResize',
  summary: 'mmcv transform: resize to one of several scales drawn uniformly; records scale_idx',
});
