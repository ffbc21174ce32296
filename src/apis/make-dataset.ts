import { UserError } from '../core/errors';
import { writeSyntheticDataset, type SyntheticTask, type WriteResult } from '../data/synthetic/dataset-writer';
import { clsTask } from '../data/synthetic/cls-generator';
import { detTask } from '../data/synthetic/det-generator';
import type { MaskEncoder } from '../data/synthetic/mask-encoding';
import { poseTask } from '../data/synthetic/pose-generator';
import { segTask } from '../data/synthetic/seg-generator';
import { encodeMask, rleToCoco } from '../structures/mask';
import { defaultContainer } from '../registry/container';
import { SERVICES, type Progress } from '../registry/services';

export const SYNTHETIC_TASKS = ['det', 'pose', 'seg', 'cls'] as const;
export type SyntheticTaskName = (typeof SYNTHETIC_TASKS)[number];

export interface MakeSyntheticOptions {
  task: SyntheticTaskName;
  /** Output folder (default `data/synthetic-<task>`). */
  out?: string;
  train?: number;
  val?: number;
  seed?: number;
  /** [height, width] of every image (default: the task's). */
  size?: readonly [number, number];
  /** Progress bars for image writing (default: the container's Progress service). */
  progress?: Progress;
}

/** COCO's compressed RLE through the mask API the evaluation uses, so what is written is what COCOeval reads. */
export const cocoRle: MaskEncoder = (mask) => rleToCoco(encodeMask(mask.data, mask.height, mask.width, 'row-major'));

/** The generator of a task, with its defaults (size, counts). */
export function syntheticTask(task: SyntheticTaskName): SyntheticTask<unknown> {
  switch (task) {
    case 'det':
      return detTask(cocoRle) as SyntheticTask<unknown>;
    case 'pose':
      return poseTask() as SyntheticTask<unknown>;
    case 'seg':
      return segTask() as SyntheticTask<unknown>;
    case 'cls':
      return clsTask() as SyntheticTask<unknown>;
    default:
      throw new UserError(`unknown synthetic task '${String(task)}': expected one of ${SYNTHETIC_TASKS.join(', ')}`);
  }
}

/** Write a synthetic dataset for `task` (see docs/data.md for the layouts and the rerun rule). */
export async function makeSyntheticDataset(opts: MakeSyntheticOptions): Promise<WriteResult & { size: [number, number]; counts: { train: number; val: number } }> {
  const task = syntheticTask(opts.task);
  const size: [number, number] = [...(opts.size ?? task.defaultSize)] as [number, number];
  if (size.some((d) => !Number.isInteger(d) || d < 16 || d > 4096)) throw new UserError(`size must be two integers from 16 to 4096 (HxW), got ${size.join('x')}`);
  const counts = { train: opts.train ?? task.defaultCounts.train, val: opts.val ?? task.defaultCounts.val };
  for (const [k, v] of Object.entries(counts)) {
    if (!Number.isInteger(v) || v < 0) throw new UserError(`--${k} must be a whole number of images, got ${v}`);
  }
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UserError(`seed must be an integer from 0 to 4294967295, got ${seed}`);
  const progress = opts.progress ?? defaultContainer().get<Progress>(SERVICES.Progress);
  const result = await writeSyntheticDataset(task, { out: opts.out ?? `data/synthetic-${opts.task}`, counts, seed, size, progress });
  return { ...result, size, counts };
}
