import { z } from 'zod';
import { UserError } from '../../core/errors';
import { TRANSFORMS } from '../../registry/registries';
import { Resize, resizeSchema, type ResizeOptions } from './resize';
import type { Results, Transform } from './results';

const scale = z.union([z.number().int().positive(), z.array(z.number().int().positive()).length(2)]);

export const randomChoiceResizeSchema = z
  .object({
    /** The candidate scales: (w, h) pairs or single numbers (one of them alone is a list of one). */
    scales: z.union([z.array(scale).min(1), scale]),
    /** mmcv builds the resize by this name; hrdet's (mmcv's) Resize is the one there is. */
    resize_type: z.literal('Resize').default('Resize'),
    // the Resize options passed on (mmcv's **resize_kwargs)
    keep_ratio: z.boolean().default(false),
    clip_object_border: z.boolean().default(true),
    interpolation: z.enum(['bilinear', 'nearest']).default('bilinear'),
    backend: z.literal('cv2').default('cv2'),
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
    const { scales: _s, resize_type: _t, ...kwargs } = this.o;
    const resize = new Resize(resizeSchema.parse({ ...kwargs, scale: this.scales[scaleIdx] }) as ResizeOptions);
    return { ...resize.transform(results), scale_idx: scaleIdx };
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
