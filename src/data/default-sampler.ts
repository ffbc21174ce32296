import { z } from 'zod';
import { Random } from '../core/random';

export const defaultSamplerSchema = z
  .object({
    type: z.literal('DefaultSampler'),
    shuffle: z.boolean().default(true),
    seed: z.number().int().min(0).nullable().optional(),
    round_up: z.boolean().default(true),
  })
  .strict();
export type DefaultSamplerOptions = z.output<typeof defaultSamplerSchema>;

/**
 * mmengine's DefaultSampler for one process: the dataset's indices, shuffled per epoch with a
 * generator seeded by seed + epoch (so every epoch differs and a seed repeats them all). With
 * one process `round_up` adds nothing. The permutation is hrdet's own (Fisher-Yates on
 * xoshiro128**), not torch.randperm's.
 */
export class DefaultSampler {
  private epoch = 0;
  readonly seed: number;

  constructor(
    private readonly size: number,
    readonly shuffle = true,
    seed: number | null = null,
  ) {
    this.seed = seed ?? 0;
  }

  setEpoch(epoch: number): void {
    this.epoch = epoch;
  }

  indices(): number[] {
    const all = Int32Array.from({ length: this.size }, (_, i) => i);
    if (!this.shuffle) return [...all];
    return [...new Random(this.seed + this.epoch).choose(all, this.size)];
  }
}
