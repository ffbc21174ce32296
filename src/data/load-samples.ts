import { UserError } from '../core/errors';
import { Random } from '../core/random';
import type { BaseDataset } from './datasets/base-dataset';
import type { PackedSample } from './transforms/pack-det-inputs';

/**
 * The packed samples at `indices`, each through the dataset's pipeline with the generator of
 * (seed, epoch, index): the same draws wherever and in whatever order a sample is loaded.
 */
export async function loadSamples(dataset: BaseDataset, indices: readonly number[], seed: number, epoch: number): Promise<PackedSample<unknown>[]> {
  const items: PackedSample<unknown>[] = [];
  for (const i of indices) {
    const it = (await dataset.getItem(i, Random.derive(seed, epoch, i))) as unknown as PackedSample<unknown>;
    if (!it.inputs || !it.data_samples) throw new UserError(`${dataset.annFile}: item ${i} was not packed: end the pipeline with a Pack*Inputs transform`);
    items.push(it);
  }
  return items;
}
