import { UserError } from '../../core/errors';
import * as F from '../../core/ops';
import type { Tensor } from '../../core/tensor';
import { Boxes } from '../../structures/boxes';
import type { DetDataSample } from '../../structures/det-data-sample';
import type { InstanceData } from '../../structures/instance-data';
import { TensorBoxes } from '../../structures/tensor-boxes';
import type { HostGtInstances, HostIgnoreInstances } from '../task-modules/host-boxes';

/**
 * The ground truth of a detection sample as the training-time task modules take it (host
 * float32 boxes, int32 labels): mmdetection's unpack_gt_instances. `gt_instances` is
 * required; `ignored_instances` (crowd regions, PackDetInputs' split of `gt_ignore_flags`)
 * are optional.
 */
export function hostGt(sample: DetDataSample, index: number): { gt: HostGtInstances; ignore: HostIgnoreInstances | undefined } {
  const inst = sample.gt_instances;
  if (!inst) throw new UserError(`detection sample ${index} has no gt_instances (the 'loss' mode needs ground truth)`);
  const bboxes = hostBoxes(inst, `sample ${index} gt_instances`);
  const labels = hostLabels(inst, bboxes.length / 4, `sample ${index} gt_instances`);
  const ignored = sample.ignored_instances;
  const ignore = ignored && ignored.bboxes ? { bboxes: hostBoxes(ignored, `sample ${index} ignored_instances`) } : undefined;
  return { gt: { bboxes, labels }, ignore };
}

function hostBoxes(inst: InstanceData, what: string): Float32Array {
  const b = inst.bboxes;
  if (b instanceof Boxes) return b.data;
  if (b instanceof TensorBoxes) return Float32Array.from(F.toHost(b.tensor).data as Float32Array);
  if (b === undefined) return new Float32Array(0);
  throw new UserError(`${what}: bboxes must be Boxes`);
}

function hostLabels(inst: InstanceData, n: number, what: string): Int32Array {
  const l = inst.labels;
  const labels = l === undefined ? new Int32Array(0) : l instanceof Int32Array ? l : Int32Array.from(F.toHost(l as Tensor).data as ArrayLike<number>);
  if (labels.length !== n) throw new UserError(`${what}: ${n} boxes but ${labels.length} labels`);
  return labels;
}
