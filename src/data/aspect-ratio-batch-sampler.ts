import { z } from 'zod';
import { DATA_SAMPLERS } from '../registry/registries';
import type { BuildContext } from '../registry/build-context';

export const aspectRatioBatchSamplerSchema = z
  .object({
    drop_last: z.boolean().default(false),
  })
  .strict();

/** What the loader passes besides the config's options (mmengine's default_args). */
export const aspectRatioBatchSamplerParts = aspectRatioBatchSamplerSchema.extend({
  batch_size: z.number().int().positive(),
  /** (width, height) of the dataset's item i, as its data info records them. */
  size_of: z.custom<(i: number) => { width: number; height: number }>((v) => typeof v === 'function'),
});
export type AspectRatioBatchSamplerParts = z.output<typeof aspectRatioBatchSamplerParts>;

/** A batch sampler: the sampler's order cut into batches of indices. */
export interface BatchSampler {
  batches(order: readonly number[]): number[][];
  /** The number of batches the loader reports (`len(batch_sampler)`). */
  length(samples: number): number;
}

/**
 * mmdetection's AspectRatioBatchSampler: indices in the sampler's order go to one of two
 * buckets, portrait (w < h) and the rest; a bucket that reaches batch_size is emitted as a
 * batch. What is left in both buckets (portrait first) is then cut into batches, the last one
 * shorter unless drop_last drops it — including, as in mmdetection, a last chunk of exactly
 * batch_size, while `length` counts it (floor(n / batch_size)).
 */
export class AspectRatioBatchSampler implements BatchSampler {
  constructor(private readonly o: AspectRatioBatchSamplerParts) {}

  batches(order: readonly number[]): number[][] {
    const bs = this.o.batch_size;
    const buckets: number[][] = [[], []];
    const out: number[][] = [];
    for (const idx of order) {
      const { width, height } = this.o.size_of(idx);
      const bucket = buckets[width < height ? 0 : 1];
      bucket.push(idx);
      if (bucket.length === bs) out.push(bucket.splice(0));
    }
    let left = [...buckets[0], ...buckets[1]];
    while (left.length > 0) {
      if (left.length <= bs) {
        if (!this.o.drop_last) out.push(left);
        left = [];
      } else {
        out.push(left.slice(0, bs));
        left = left.slice(bs);
      }
    }
    return out;
  }

  length(samples: number): number {
    const bs = this.o.batch_size;
    return this.o.drop_last ? Math.floor(samples / bs) : Math.ceil(samples / bs);
  }
}

DATA_SAMPLERS.register(aspectRatioBatchSamplerParts, (o: AspectRatioBatchSamplerParts, _ctx: BuildContext) => new AspectRatioBatchSampler(o), {
  name: 'AspectRatioBatchSampler',
  summary: 'mmdet batch sampler: batches of portrait (w < h) or landscape images only',
});
