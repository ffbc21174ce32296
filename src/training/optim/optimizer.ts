import { currentEngine } from '../../core/engine-context';
import { hostTensor, type HostTensor } from '../../core/host-tensor';
import { Buffer, type Parameter } from '../../core/parameter';
import type { Tensor } from '../../core/tensor';
import { UserError } from '../../core/errors';
import type { OptimizerState } from '../../io/training-checkpoint';

/** A value a param group holds: lr, momentum, betas, nesterov, initial_lr, a custom key's extras, ... */
export type HyperValue = number | boolean | string | null | readonly number[];
export type Hyper = Record<string, HyperValue>;

/** A parameter with the name it has in the model's state dict. */
export interface NamedParameter {
  readonly name: string;
  readonly param: Parameter;
}

/**
 * One of PyTorch's `param_groups`: parameters and the hyper-parameters they are updated with.
 * Schedulers write `hyper.lr` (and `initial_lr`) between steps, as they do in PyTorch.
 */
export class ParamGroup {
  constructor(
    readonly params: readonly NamedParameter[],
    readonly hyper: Hyper,
  ) {}

  /** A numeric hyper-parameter (lr, weight_decay, ...). */
  num(key: string): number {
    const v = this.hyper[key];
    if (typeof v !== 'number') throw new Error(`param group has no numeric '${key}' (it holds ${JSON.stringify(v)})`);
    return v;
  }

  flag(key: string): boolean {
    return this.hyper[key] === true;
  }
}

/** Per-parameter optimizer state: engine-side tensors (held as buffers) and host-side counters. */
export interface ParamState {
  tensors: Map<string, Buffer>;
  /** Adam's `step`; PyTorch saves it as a 0-d float32 tensor. */
  step: number;
}

/** PyTorch's `optimizer.state_dict()` with host tensors (the layout checkpoints hold). */
export type OptimizerStateDict = OptimizerState;

/**
 * Base of the optimizers (PyTorch's torch.optim.Optimizer). Hyper-parameters come from the
 * config; the parameters are attached afterwards by the optim wrapper (`setParamGroups`),
 * which knows the model and the paramwise rules. Updates run through the op layer on the
 * active engine: new values are written with `engine.assign`, and the state tensors
 * (momentum buffers, moments) live engine-side as buffers, so an eager engine keeps them on
 * its device between steps; `stateDict()` copies them to the host for checkpoints.
 */
export abstract class Optimizer {
  private groups: ParamGroup[] = [];
  private readonly states = new Map<Parameter, ParamState>();

  constructor(
    /** The optimizer's own options as PyTorch names them (torch's `defaults`). */
    readonly defaults: Hyper,
  ) {}

  get paramGroups(): readonly ParamGroup[] {
    return this.groups;
  }

  /** Attach the parameters: each group's own keys override the defaults (PyTorch's add_param_group). */
  setParamGroups(groups: ReadonlyArray<{ params: readonly NamedParameter[]; hyper?: Hyper }>): void {
    const seen = new Set<Parameter>();
    for (const g of groups) {
      for (const { name, param } of g.params) {
        if (seen.has(param)) throw new UserError(`optimizer: parameter '${name}' appears in more than one param group`);
        seen.add(param);
      }
    }
    this.groups = groups.map((g) => new ParamGroup(g.params, { ...this.defaults, ...(g.hyper ?? {}) }));
    this.states.clear();
  }

  /**
   * One update of every parameter that has a gradient (others are skipped, as PyTorch skips
   * `p.grad is None`). Runs in one engine scope: intermediate tensors are freed.
   */
  step(grads: ReadonlyMap<Parameter, Tensor>): void {
    const engine = currentEngine();
    engine.scope(() => {
      for (const group of this.groups) {
        for (const { param } of group.params) {
          const grad = grads.get(param);
          if (!grad) continue;
          const state = this.stateOf(param);
          const value = this.update(engine.parameter(param), grad, group, state);
          engine.assign(param, value);
        }
      }
      return undefined;
    });
  }

  /** The new value of one parameter (`p` and `grad` are engine tensors). */
  protected abstract update(p: Tensor, grad: Tensor, group: ParamGroup, state: ParamState): Tensor;

  // --- state tensors ----------------------------------------------------------------------

  private stateOf(p: Parameter): ParamState {
    let s = this.states.get(p);
    if (!s) {
      s = { tensors: new Map(), step: 0 };
      this.states.set(p, s);
    }
    return s;
  }

  /** The engine value of a state tensor, or undefined before its first write. */
  protected read(state: ParamState, key: string): Tensor | undefined {
    const b = state.tensors.get(key);
    return b ? currentEngine().parameter(b) : undefined;
  }

  /** Store a state tensor engine-side (created on first write with the value's shape). */
  protected write(state: ParamState, key: string, value: Tensor): void {
    let b = state.tensors.get(key);
    if (!b) {
      b = new Buffer(value.shape, 'float32');
      state.tensors.set(key, b);
    }
    currentEngine().assign(b, value);
  }

  // --- checkpoints -------------------------------------------------------------------------

  /** Parameters in PyTorch's state-dict numbering: group order, then order within a group. */
  private indexed(): Parameter[] {
    return this.groups.flatMap((g) => g.params.map((p) => p.param));
  }

  /** PyTorch's layout: `state` by parameter index (only parameters stepped so far) and `param_groups`. */
  stateDict(): OptimizerStateDict {
    const engine = currentEngine();
    const state = new Map<number, Map<string, HostTensor>>();
    this.indexed().forEach((p, i) => {
      const s = this.states.get(p);
      if (!s) return;
      const out = new Map<string, HostTensor>();
      for (const [k, b] of s.tensors) out.set(k, engine.readSync(engine.parameter(b)));
      if (this.savesStep) out.set('step', hostTensor('float32', [], Float32Array.of(s.step)));
      state.set(i, out);
    });
    let next = 0;
    const param_groups = this.groups.map((g) => ({ ...g.hyper, params: g.params.map(() => next++) }));
    return { state, param_groups };
  }

  /** Restore a stateDict() (or one PyTorch wrote for the same parameter layout). */
  loadStateDict(sd: OptimizerStateDict): void {
    if (sd.param_groups.length !== this.groups.length) {
      throw new UserError(`optimizer state has ${sd.param_groups.length} param groups, this optimizer ${this.groups.length}`);
    }
    sd.param_groups.forEach((saved, i) => {
      if (saved.params.length !== this.groups[i].params.length) {
        throw new UserError(`optimizer state: param group ${i} has ${saved.params.length} parameters, this optimizer's ${this.groups[i].params.length}`);
      }
    });
    const params = this.indexed();
    this.groups = this.groups.map((g, i) => new ParamGroup(g.params, { ...g.hyper, ...savedHyper(sd.param_groups[i], i) }));
    const loaded = new Set<Parameter>();
    for (const [i, entries] of sd.state) {
      const p = params[i];
      if (!p) throw new UserError(`optimizer state names parameter ${i}; the optimizer has ${params.length}`);
      loaded.add(p);
      this.loadParamState(this.stateOf(p), entries);
    }
    for (const p of this.states.keys()) if (!loaded.has(p)) this.states.delete(p);
  }

  /**
   * Take one parameter's saved state. Existing buffers of the same shape take the new values
   * (their engine copies refresh on next use), so resuming does not leave engine tensors behind.
   */
  private loadParamState(s: ParamState, entries: ReadonlyMap<string, HostTensor>): void {
    s.step = 0;
    for (const k of [...s.tensors.keys()]) if (!entries.has(k)) s.tensors.delete(k);
    for (const [k, t] of entries) {
      if (k === 'step') {
        s.step = Number(t.data[0]);
        continue;
      }
      const data = Float32Array.from(t.data as ArrayLike<number>);
      const held = s.tensors.get(k);
      if (held && held.shape.length === t.shape.length && held.shape.every((d, j) => d === t.shape[j])) held.set(data);
      else s.tensors.set(k, new Buffer(t.shape, 'float32', data));
    }
  }

  /** Whether state entries carry PyTorch's `step` counter (Adam family). */
  protected get savesStep(): boolean {
    return false;
  }
}

/** A saved param group's hyper-parameters, each checked to be a plain value. */
function savedHyper(group: Record<string, unknown>, i: number): Hyper {
  const out: Hyper = {};
  for (const [k, v] of Object.entries(group)) {
    if (k === 'params') continue;
    const plain = v === null || ['number', 'boolean', 'string'].includes(typeof v) || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
    if (!plain) throw new UserError(`optimizer state: param group ${i} holds '${k}' = ${JSON.stringify(v)}, not a number, flag, text or list of numbers`);
    out[k] = v as HyperValue;
  }
  return out;
}
