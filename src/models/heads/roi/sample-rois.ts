/**
 * The first half of mmdetection's RoI-head loss, shared by StandardRoIHead and every cascade
 * stage: each image's proposals (host boxes, detached) are assigned to its GT and sampled
 * (the GT boxes prepended with add_gt_as_proposals), and the sampled RoIs of all images
 * become one [R, 5] batch, positives then negatives per image (bbox2roi).
 */
import { hostTensor } from '../../../core/host-tensor';
import * as F from '../../../core/ops';
import type { Tensor } from '../../../core/tensor';
import type { DetDataSample } from '../../../structures/det-data-sample';
import type { SamplingResult } from '../../task-modules/samplers/sampling-result';
import type { AssignAndSample } from '../assign-and-sample';
import { hostGt } from '../host-gt';

/** The [P * 4] boxes of proposals [P, 5] (x1, y1, x2, y2, score) on the host. */
export function proposalBoxes(proposals: Tensor): Float32Array {
  const rows = F.toHost(proposals).data as Float32Array;
  const cols = proposals.shape[1];
  const n = proposals.shape[0];
  const out = new Float32Array(n * 4);
  for (let k = 0; k < n; k++) out.set(rows.subarray(cols * k, cols * k + 4), 4 * k);
  return out;
}

/** Per image: assign its priors [P_i * 4] to its GT and sample. */
export function sampleRoIs(parts: AssignAndSample, priors: readonly Float32Array[], samples: readonly DetDataSample[]): SamplingResult[] {
  return samples.map((s, i) => {
    const { gt, ignore } = hostGt(s, i);
    return parts.run(priors[i], gt, ignore).sampling;
  });
}

/** bbox2roi of the sampled priors (positives then negatives) of every image. */
export function sampledRoIs(results: readonly SamplingResult[]): Tensor {
  return boxesToRoIs(results.map((r) => r.priors));
}

/** bbox2roi of the positive priors of every image (the mask branch's RoIs). */
export function positiveRoIs(results: readonly SamplingResult[]): Tensor {
  return boxesToRoIs(results.map((r) => r.posPriors));
}

/** [R, 5] rows (image index, x1, y1, x2, y2) of host boxes per image. */
export function boxesToRoIs(boxes: readonly Float32Array[]): Tensor {
  const total = boxes.reduce((a, b) => a + b.length / 4, 0);
  const out = new Float32Array(total * 5);
  let row = 0;
  boxes.forEach((b, i) => {
    for (let k = 0; k < b.length / 4; k++, row++) {
      out[5 * row] = i;
      out.set(b.subarray(4 * k, 4 * k + 4), 5 * row + 1);
    }
  });
  return F.constant(hostTensor('float32', [total, 5], out));
}
