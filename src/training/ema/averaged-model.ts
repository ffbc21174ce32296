import { currentEngine } from '../../core/engine-context';
import { hostTensor, type HostTensor } from '../../core/host-tensor';
import type { Module } from '../../core/module';
import * as F from '../../core/ops';
import { Buffer, type Parameter } from '../../core/parameter';

/**
 * mmengine's AveragedModel: an engine-side running average of a model's parameters (and, with
 * `update_buffers`, of its float buffers too). Step 0 copies the model; every `interval`-th
 * step after moves each average towards the model by the subclass's momentum
 * (`avg += m * (src - avg)`, torch's lerp). Buffers that are not averaged stay the model's own.
 * `stateDict()` is mmengine's layout: `module.<name>` per averaged entry and `steps`.
 */
export abstract class AveragedModel {
  readonly averages = new Map<string, { src: Parameter; avg: Buffer }>();
  steps = 0;

  constructor(
    model: Module,
    readonly interval = 1,
    readonly updateBuffers = false,
  ) {
    const entries = updateBuffers ? [...model.namedState()] : [...model.namedParameters()];
    for (const [name, src] of entries) {
      if (src.dtype !== 'float32') continue;
      this.averages.set(name, { src, avg: new Buffer(src.shape, 'float32') });
    }
  }

  /** The weight of the model in step `steps` (before counting it). */
  protected abstract momentum(steps: number): number;

  /** mmengine's update_parameters(model). */
  update(): void {
    const e = currentEngine();
    const m = this.momentum(this.steps);
    e.scope(() => {
      for (const { src, avg } of this.averages.values()) {
        if (this.steps === 0) e.assign(avg, e.parameter(src));
        else if (this.steps % this.interval === 0) {
          const a = e.parameter(avg);
          e.assign(avg, F.add(a, F.mul(F.sub(e.parameter(src), a), m)));
        }
      }
    });
    this.steps++;
  }

  /** Exchange the model's values and the averages (validation on the averaged weights, and back). */
  swap(): void {
    const e = currentEngine();
    e.scope(() => {
      for (const { src, avg } of this.averages.values()) {
        const model = F.add(e.parameter(src), 0); // a copy, not the variable itself
        e.assign(src, e.parameter(avg));
        e.assign(avg, model);
      }
    });
  }

  stateDict(): Map<string, HostTensor> {
    const e = currentEngine();
    const out = new Map<string, HostTensor>();
    for (const [name, { avg }] of this.averages) out.set(`module.${name}`, e.readSync(e.parameter(avg)));
    out.set('steps', hostTensor('int64', [], BigInt64Array.of(BigInt(this.steps))));
    return out;
  }

  /** Averages from a checkpoint's `ema_state_dict` (strict: every averaged entry must be there). */
  loadStateDict(sd: ReadonlyMap<string, HostTensor>, strict = true): string[] {
    const e = currentEngine();
    const missing: string[] = [];
    for (const [name, { avg }] of this.averages) {
      const t = sd.get(`module.${name}`);
      if (!t) {
        missing.push(name);
        continue;
      }
      e.assign(avg, e.constant(t));
    }
    if (strict && missing.length) throw new Error(`ema_state_dict lacks ${missing.length} averaged entries (first: ${missing[0]})`);
    const steps = sd.get('steps');
    if (steps) this.steps = Number(steps.data[0]);
    return missing;
  }

  /** Start the averages from the model's current values (a checkpoint without EMA state). */
  copyFromModel(): void {
    const e = currentEngine();
    e.scope(() => {
      for (const { src, avg } of this.averages.values()) e.assign(avg, e.parameter(src));
    });
  }
}
