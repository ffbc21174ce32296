import { z } from 'zod';
import { currentEngine } from '../../core/engine-context';
import { UserError } from '../../core/errors';
import * as F from '../../core/ops';
import { Buffer, type Parameter } from '../../core/parameter';
import type { Tensor } from '../../core/tensor';
import { OPTIMIZERS } from '../../registry/registries';
import { clipGradCfg, clipGradNorm, clipGradValue, type ClipGradCfg } from './clip-grad';
import { Optimizer, type OptimizerStateDict, type ParamGroup } from './optimizer';

export const optimWrapperOptions = z
  .object({
    optimizer: z.custom<Optimizer>((v) => v instanceof Optimizer, 'an optimizer (built from optim_wrapper.optimizer)'),
    clip_grad: clipGradCfg.nullable().default(null),
    accumulative_counts: z.number().int().positive().default(1),
  })
  .strict();
export type OptimWrapperOptions = z.input<typeof optimWrapperOptions>;

/** What one `update` call did. */
export interface UpdateResult {
  /** Whether the optimizer stepped (every accumulative_counts calls, and at the last count). */
  stepped: boolean;
  /** The total gradient norm before clipping, when clip_grad is a norm clip and it stepped. */
  gradNorm?: number;
}

/**
 * mmengine's OptimWrapper around an optimizer whose param groups are set: gradient
 * accumulation, gradient clipping and the step.
 *
 * The trainer computes the gradients of the loss as the model returns it and passes them to
 * `update(grads)`, keyed by state-dict name. That is `update_params(loss)` of mmengine with
 * the loss scaling moved onto the gradients (the same, gradients being linear in the loss):
 * they are multiplied by 1 / loss_factor, summed engine-side over accumulative_counts calls,
 * clipped, and the optimizer steps. As in mmengine, `initializeCountStatus(done, total)` tells
 * the wrapper how many updates training has in all, so the last, incomplete accumulation
 * window still steps and is averaged over its own length.
 */
export class OptimWrapper {
  readonly optimizer: Optimizer;
  readonly clipGrad: z.output<typeof clipGradCfg> | null;
  readonly accumulativeCounts: number;
  private innerCount = 0;
  private maxCounts = -1;
  private remainderCounts = -1;
  private readonly byName = new Map<string, Parameter>();
  /** Engine-side sums of the gradients since the last step (only with accumulative_counts > 1). */
  private readonly accumulated = new Map<Parameter, Buffer>();
  /** The parameters whose sum holds something in the current window. */
  private readonly pending = new Set<Parameter>();

  constructor(options: OptimWrapperOptions) {
    const o = optimWrapperOptions.parse(options);
    this.optimizer = o.optimizer;
    this.clipGrad = o.clip_grad;
    this.accumulativeCounts = o.accumulative_counts;
    for (const g of this.optimizer.paramGroups) for (const p of g.params) this.byName.set(p.name, p.param);
  }

  get paramGroups(): readonly ParamGroup[] {
    return this.optimizer.paramGroups;
  }

  /** Updates (calls of `update`) done so far. */
  get count(): number {
    return this.innerCount;
  }

  /** mmengine's initialize_count_status: `done` updates already made of `total` in all. */
  initializeCountStatus(done: number, total: number): void {
    this.innerCount = done;
    this.maxCounts = total;
    this.remainderCounts = total % this.accumulativeCounts;
  }

  /** What the loss is divided by at the current count (mmengine's scale_loss). */
  get lossFactor(): number {
    if (this.accumulativeCounts === 1) return 1;
    if (this.maxCounts === -1) return this.accumulativeCounts;
    const factor = this.innerCount < this.maxCounts - this.remainderCounts ? this.accumulativeCounts : this.remainderCounts;
    if (factor <= 0) throw new UserError(`optimizer wrapper: update ${this.innerCount + 1} is past the ${this.maxCounts} updates training was set up for`);
    return factor;
  }

  shouldUpdate(): boolean {
    return this.innerCount % this.accumulativeCounts === 0 || this.innerCount === this.maxCounts;
  }

  /** Learning rates of the param groups (mmengine's get_lr()['lr']). */
  getLr(): number[] {
    return this.paramGroups.map((g) => g.num('lr'));
  }

  /** Momentum of the param groups: `momentum`, or Adam's beta1. */
  getMomentum(): number[] {
    return this.paramGroups.map((g) => {
      if (typeof g.hyper.momentum === 'number') return g.hyper.momentum;
      const betas = g.hyper.betas;
      return Array.isArray(betas) ? (betas[0] as number) : 0;
    });
  }

  /** One call of mmengine's update_params, given the loss's gradients by parameter name. */
  update(grads: ReadonlyMap<string, Tensor>): UpdateResult {
    const engine = currentEngine();
    return engine.scope(() => {
      const factor = this.lossFactor;
      const scaled = new Map<Parameter, Tensor>();
      for (const [name, g] of grads) {
        const p = this.byName.get(name);
        if (!p) throw new Error(`optimizer wrapper: a gradient for '${name}', which no param group holds`);
        scaled.set(p, factor === 1 ? g : F.div(g, factor));
      }
      this.innerCount++;
      const update = this.shouldUpdate();
      const total = this.accumulativeCounts > 1 ? this.accumulate(scaled, update) : scaled;
      if (!update) return { stepped: false };
      const { grads: clipped, gradNorm } = this.clip(total);
      this.optimizer.step(clipped);
      return gradNorm === undefined ? { stepped: true } : { stepped: true, gradNorm };
    });
  }

  /** Add this call's gradients to the running sums; on an update, hand the sums over and reset. */
  private accumulate(grads: Map<Parameter, Tensor>, update: boolean): Map<Parameter, Tensor> {
    const engine = currentEngine();
    const sums = new Map<Parameter, Tensor>();
    for (const [p, g] of grads) sums.set(p, this.pending.has(p) ? F.add(engine.parameter(this.accumulated.get(p)!), g) : g);
    // parameters that had gradients earlier in the window but none now keep their sums
    for (const p of this.pending) if (!sums.has(p)) sums.set(p, engine.parameter(this.accumulated.get(p)!));
    if (update) {
      this.pending.clear();
      return sums;
    }
    for (const [p, s] of sums) {
      let b = this.accumulated.get(p);
      if (!b) {
        // one engine-side buffer per parameter, reused by every window
        b = new Buffer(p.shape, 'float32');
        this.accumulated.set(p, b);
      }
      engine.assign(b, s);
      this.pending.add(p);
    }
    return sums;
  }

  private clip(grads: Map<Parameter, Tensor>): { grads: Map<Parameter, Tensor>; gradNorm?: number } {
    const c = this.clipGrad;
    if (!c) return { grads };
    if (c.type === 'value') return { grads: clipGradValue(grads, c.clip_value) };
    const trainable = new Map([...grads].filter(([p]) => p.requiresGrad));
    const r = clipGradNorm(trainable, c.max_norm, c.norm_type, c.error_if_nonfinite);
    return { grads: r.grads, gradNorm: r.totalNorm };
  }

  /** Drop accumulated gradients (mmengine's zero_grad). */
  zeroGrad(): void {
    this.pending.clear();
  }

  /** mmengine's OptimWrapper.state_dict(): the optimizer's. */
  stateDict(): OptimizerStateDict {
    return this.optimizer.stateDict();
  }

  loadStateDict(sd: OptimizerStateDict): void {
    this.optimizer.loadStateDict(sd);
  }
}

export type { ClipGradCfg };

OPTIMIZERS.register(optimWrapperOptions, (o: OptimWrapperOptions) => new OptimWrapper(o), {
  name: 'OptimWrapper',
  summary: 'mmengine optimizer wrapper: gradient accumulation, clip_grad, paramwise_cfg (built by buildOptimWrapper)',
});
