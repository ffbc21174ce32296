import type { Module } from '../../core/module';
import type { FeatureModel } from '../../models/feature-model';
import { TwoStageDetector } from '../../models/detectors/two-stage-detector';

export type Stage = 'backbone' | 'neck' | 'heads';

/** Stage names in report order; `post_processing` is what the timed forwards leave over. */
export const STAGES = ['backbone', 'neck', 'heads', 'post_processing'] as const;

/** The stages of an onnx row: its backbone + neck graph timed on its own, and the rest of the whole graph's time (OnnxRunner). */
export const ONNX_STAGES = ['backbone+neck', 'rest'] as const;

type ForwardFn = (...args: unknown[]) => unknown;

/**
 * Times the stages of an eager forward by wrapping module `forward`s: the backbone, the neck,
 * and every module under each other top-level child (the heads: RPN, RoI extractors and box
 * heads, dense heads, decode heads). Only the outermost running forward is timed, so a head's
 * inner convolutions are not counted twice and a RoI head's box head counts although the RoI
 * head itself is entered through `predict`, not `forward`. Whatever the run spends outside
 * those forwards (decoding, score filtering, NMS, reading results to the host) is
 * post-processing. The eager engine computes each op when it is called (tfjs wasm/cpu), so
 * wall time around a forward is its compute time.
 */
export class StageTimer {
  private readonly acc: Record<Stage, number> = { backbone: 0, neck: 0, heads: 0 };
  /** The heads' time by top-level child (rpn_head, roi_head, bbox_head, ...). */
  private readonly headParts = new Map<string, number>();
  private depth = 0;
  /** Proposals the RoI head received in the run (two-stage detectors), else null. */
  private rois: number | null = null;
  private readonly undo: (() => void)[] = [];

  constructor(model: FeatureModel) {
    for (const [name, child] of model.children()) {
      if (name === 'backbone') this.wrap(child, 'backbone');
      else if (name === 'neck') this.wrap(child, 'neck');
      else for (const [, m] of child.namedModules()) this.wrap(m, 'heads', name);
    }
    if (model instanceof TwoStageDetector) this.countRoIs(model);
  }

  /** RoIs the RoI head got in the last run: its cost follows them, and they depend on the weights. */
  get roiCount(): number | null {
    return this.rois;
  }

  reset(): void {
    this.acc.backbone = this.acc.neck = this.acc.heads = 0;
    for (const k of this.headParts.keys()) this.headParts.set(k, 0);
    if (this.rois !== null) this.rois = 0;
  }

  /**
   * The split of a run that took `totalMs` in all: the four stages, then the heads by part
   * under `heads.<child>` (these add up to `heads`, not to the total).
   */
  split(totalMs: number): Record<string, number> {
    const { backbone, neck, heads } = this.acc;
    const out: Record<string, number> = { backbone, neck, heads, post_processing: Math.max(0, totalMs - backbone - neck - heads) };
    for (const [k, v] of this.headParts) out[`heads.${k}`] = v;
    return out;
  }

  /** Put every wrapped forward back. */
  restore(): void {
    for (const u of this.undo.splice(0).reverse()) u();
  }

  private countRoIs(model: TwoStageDetector): void {
    const head = model.roiHead as unknown as { predict: (...args: unknown[]) => unknown };
    const original = head.predict;
    const hadOwn = Object.prototype.hasOwnProperty.call(head, 'predict');
    const timer = this;
    this.rois = 0;
    head.predict = function (this: unknown, ...args: unknown[]) {
      const proposals = args[1] as readonly { shape: readonly number[] }[];
      timer.rois = (timer.rois ?? 0) + proposals.reduce((n, p) => n + p.shape[0], 0);
      return original.apply(this, args);
    };
    this.undo.push(() => {
      if (hadOwn) head.predict = original;
      else delete (head as { predict?: unknown }).predict;
    });
  }

  private wrap(m: Module, stage: Stage, part?: string): void {
    const target = m as unknown as { forward?: ForwardFn };
    const original = target.forward;
    if (typeof original !== 'function') return;
    if (part && !this.headParts.has(part)) this.headParts.set(part, 0);
    const hadOwn = Object.prototype.hasOwnProperty.call(m, 'forward');
    const timer = this;
    target.forward = function (this: unknown, ...args: unknown[]) {
      if (timer.depth > 0) return original.apply(this, args);
      timer.depth++;
      const t0 = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        const ms = performance.now() - t0;
        timer.acc[stage] += ms;
        if (part) timer.headParts.set(part, (timer.headParts.get(part) ?? 0) + ms);
        timer.depth--;
      }
    };
    this.undo.push(() => {
      if (hadOwn) target.forward = original;
      else delete target.forward;
    });
  }
}
