import { globalRandom, type Random } from '../../core/random';
import type { BuildContext } from '../../registry/build-context';
import { TASK_UTILS } from '../../registry/registries';
import type { AssignResult } from '../task-modules/assigners/assign-result';
import type { HostGtInstances, HostIgnoreInstances, HostPriors } from '../task-modules/host-boxes';
import { PseudoSampler } from '../task-modules/samplers/pseudo-sampler';
import type { BBoxSampler, SamplingResult } from '../task-modules/samplers/sampling-result';

/** What heads need of an assigner (MaxIoUAssigner and kin). */
export interface BBoxAssigner {
  assign(pred: HostPriors, gt: HostGtInstances, gtIgnore?: HostIgnoreInstances): AssignResult;
}

/**
 * The assigner and sampler a head trains with, built from its train_cfg (mmdetection's
 * init_assigner_sampler; no sampler: PseudoSampler). Random draws come from `generator`, else
 * from the global seeded generator (`seed()` in core/random), as dropout does.
 */
export class AssignAndSample {
  generator: Random | null = null;

  constructor(
    readonly assigner: BBoxAssigner,
    readonly sampler: BBoxSampler,
  ) {}

  /** Build both from `cfg.assigner` / `cfg.sampler` found at `key` under the context's path. */
  static build(ctx: BuildContext, cfg: { assigner: unknown; sampler?: unknown }, key: string): AssignAndSample {
    const assigner = ctx.build(TASK_UTILS, cfg.assigner, `${key}.assigner`) as Partial<BBoxAssigner>;
    if (typeof assigner.assign !== 'function') throw ctx.error(`${key}.assigner.type`, 'is not a box assigner (it has no assign)');
    const sampler = cfg.sampler ? (ctx.build(TASK_UTILS, cfg.sampler, `${key}.sampler`) as Partial<BBoxSampler>) : new PseudoSampler();
    if (typeof sampler.sample !== 'function') throw ctx.error(`${key}.sampler.type`, 'is not a box sampler (it has no sample)');
    return new AssignAndSample(assigner as BBoxAssigner, sampler as BBoxSampler);
  }

  run(priors: Float32Array, gt: HostGtInstances, ignore?: HostIgnoreInstances): { assign: AssignResult; sampling: SamplingResult } {
    const pred = { priors };
    const assign = this.assigner.assign(pred, gt, ignore);
    return { assign, sampling: this.sampler.sample(assign, pred, gt, this.generator ?? globalRandom()) };
  }
}
