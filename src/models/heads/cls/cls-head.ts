import { z } from 'zod';
import * as F from '../../../core/ops';
import { UserError } from '../../../core/errors';
import { hostTensor } from '../../../core/host-tensor';
import type { Module } from '../../../core/module';
import type { Tensor } from '../../../core/tensor';
import type { ClsDataSample } from '../../../structures/cls-data-sample';
import type { LossDict } from '../../../structures/named-tensors';
import { BaseHead } from '../base-head';
import { LOSSES } from '../../../registry/registries';
import type { BuildContext } from '../../../registry/build-context';

/** mmpretrain ClsHead's options (its subclasses add their layers). */
export const clsHeadOptions = {
  loss: z.object({ type: z.string() }).passthrough().default({ type: 'CrossEntropyLoss', loss_weight: 1.0 }),
  topk: z.union([z.number().int().positive(), z.array(z.number().int().positive()).min(1)]).default([1]),
  cal_acc: z.boolean().default(false),
};

/** What classification losses are called with: logits [N, C] and labels [N] (or soft targets [N, C]). */
interface ClassificationLoss extends Module {
  forward(pred: Tensor, target: Tensor, args?: { avgFactor?: number | null }): Tensor;
}

/** Per-sample softmax scores [C] and arg-max label. */
export interface ClsPrediction {
  scores: Float32Array[];
  labels: number[];
}

/**
 * mmpretrain's ClsHead contract: `loss` = the loss module on the logits against `gt_label`
 * (or `gt_score` soft targets) averaged over the batch, plus `accuracy_top-k` (percent) with
 * `cal_acc`; `predict` = softmax scores and their arg-max.
 */
export abstract class ClsHead extends BaseHead<ClsDataSample, Tensor, ClsPrediction> {
  readonly lossModule: ClassificationLoss | null;
  readonly topk: number[];
  readonly calAcc: boolean;

  protected constructor(o: { loss: Record<string, unknown> & { type: string }; topk: number | number[]; cal_acc: boolean }, ctx?: BuildContext) {
    super();
    this.lossModule = ctx ? (ctx.build(LOSSES, o.loss, 'loss') as ClassificationLoss) : null;
    this.topk = typeof o.topk === 'number' ? [o.topk] : o.topk;
    this.calAcc = o.cal_acc;
  }

  lossByFeat(logits: Tensor, samples: readonly ClsDataSample[]): LossDict {
    if (!this.lossModule) throw new UserError(`${this.typeName} was built without a loss`);
    const [N, C] = logits.shape;
    const soft = samples.every((s) => s.gt_score);
    let target: Tensor;
    let labels: Int32Array | null = null;
    if (soft) {
      const data = new Float32Array(N * C);
      samples.forEach((s, i) => data.set(s.gt_score!, i * C));
      target = F.constant(hostTensor('float32', [N, C], data));
    } else {
      labels = Int32Array.from(samples, (s, i) => {
        if (!s.gt_label?.length) throw new UserError(`sample ${i} has no gt_label`);
        if (s.gt_label[0] < 0 || s.gt_label[0] >= C) throw new UserError(`sample ${i}: label ${s.gt_label[0]} is outside the head's ${C} classes`);
        return s.gt_label[0];
      });
      target = F.constant(hostTensor('int32', [N], labels));
    }
    const losses: LossDict = new Map([['loss', this.lossModule.forward(logits, target, { avgFactor: N })]]);
    if (this.calAcc) {
      if (!labels) throw new UserError('cal_acc needs hard labels: soft targets (gt_score) make top-k accuracy meaningless');
      const acc = topkAccuracy(F.toHost(logits).data as Float32Array, labels, C, this.topk);
      this.topk.forEach((k, i) => losses.set(`accuracy_top-${k}`, F.scalar(acc[i])));
    }
    return losses;
  }

  predictByFeat(logits: Tensor, _samples: readonly ClsDataSample[]): ClsPrediction {
    const [N, C] = logits.shape;
    const p = F.toHost(F.softmax(logits, 1)).data as Float32Array;
    const scores = Array.from({ length: N }, (_, i) => p.slice(i * C, (i + 1) * C));
    return { scores, labels: scores.map(argmax) };
  }
}

function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/**
 * mmpretrain's Accuracy.calculate: percent of samples whose label is among the k highest
 * logits (ties broken towards the lower class index, as torch.topk on CPU).
 */
export function topkAccuracy(logits: Float32Array, labels: Int32Array, C: number, topk: readonly number[]): number[] {
  const N = labels.length;
  return topk.map((k) => {
    let hit = 0;
    for (let n = 0; n < N; n++) {
      const row = logits.subarray(n * C, (n + 1) * C);
      const v = row[labels[n]];
      // rank of the label: classes scoring higher, or equal with a lower index
      let rank = 0;
      for (let c = 0; c < C; c++) if (row[c] > v || (row[c] === v && c < labels[n])) rank++;
      if (rank < k) hit++;
    }
    return (hit * 100) / N;
  });
}
