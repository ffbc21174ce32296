import { shapeString, type HostTensor } from './host-tensor';
import { Buffer, Parameter } from './parameter';
import { currentEngine } from './engine-context';

export interface LoadReport {
  missing: string[];
  unexpected: string[];
  /** keys present on both sides whose shapes differ (never loaded). */
  mismatched: { key: string; expected: readonly number[]; got: readonly number[] }[];
}

export class StateDictError extends Error {
  constructor(
    message: string,
    readonly report: LoadReport,
  ) {
    super(message);
    this.name = 'StateDictError';
  }
}

export type StateDict = Map<string, HostTensor>;

/**
 * Base of every model part. Children, parameters and buffers are registered by name, so
 * state-dict keys are the dotted paths PyTorch (and mmdetection) would give them:
 * own parameters, then own buffers, then children in registration order.
 */
export abstract class Module {
  private readonly _params = new Map<string, Parameter>();
  private readonly _buffers = new Map<string, Buffer>();
  private readonly _children = new Map<string, Module>();
  training = true;
  /**
   * mmengine's init_cfg: how `initWeights()` (nn/init) initialises this module's subtree.
   * Components set it from their validated `init_cfg` option, or to their mm* default when it
   * is absent; it is parsed and checked when the weights are initialised.
   */
  initCfg: unknown = null;

  /** Name used by init_cfg `layer` matching and by analysis output (PyTorch class name). */
  get typeName(): string {
    return this.constructor.name;
  }

  // --- registration ------------------------------------------------------------------------
  protected addModule<M extends Module>(name: string, m: M): M {
    if (this._children.has(name) || this._params.has(name)) throw new Error(`${this.typeName}: '${name}' registered twice`);
    this._children.set(name, m);
    scopeForward(m);
    return m;
  }

  protected addParameter(name: string, shape: readonly number[]): Parameter {
    const p = new Parameter(shape);
    this._params.set(name, p);
    return p;
  }

  protected addBuffer(name: string, b: Buffer): Buffer {
    this._buffers.set(name, b);
    return b;
  }

  /** Drop a registered child (e.g. an unused head layer), keeping the key layout honest. */
  protected removeModule(name: string): void {
    this._children.delete(name);
  }

  child(name: string): Module | undefined {
    return this._children.get(name);
  }

  /** This module's own parameter `name` (`weight`, `bias`), not a child's. */
  ownParameter(name: string): Parameter | undefined {
    return this._params.get(name);
  }

  children(): IterableIterator<[string, Module]> {
    return this._children.entries();
  }

  // --- traversal ---------------------------------------------------------------------------
  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [n, c] of this._children) yield* c.namedModules(prefix ? `${prefix}.${n}` : n);
  }

  *namedParameters(prefix = ''): Generator<[string, Parameter]> {
    for (const [n, m] of this.namedModules(prefix)) {
      for (const [pn, p] of m._params) yield [n ? `${n}.${pn}` : pn, p];
    }
  }

  /** Parameters and buffers in state-dict order. */
  *namedState(prefix = ''): Generator<[string, Parameter]> {
    for (const [pn, p] of this._params) yield [prefix ? `${prefix}.${pn}` : pn, p];
    for (const [bn, b] of this._buffers) yield [prefix ? `${prefix}.${bn}` : bn, b];
    for (const [cn, c] of this._children) yield* c.namedState(prefix ? `${prefix}.${cn}` : cn);
  }

  parameters(): Parameter[] {
    return [...this.namedParameters()].map(([, p]) => p);
  }

  numParameters(trainableOnly = false): number {
    let n = 0;
    for (const [, p] of this.namedParameters()) if (!trainableOnly || p.requiresGrad) n += p.numel;
    return n;
  }

  // --- initialisation ----------------------------------------------------------------------

  /**
   * Whether `initWeights()` (nn/init) reaches this module when it walks down from a parent. As in
   * mmengine, plain PyTorch containers (nn.Sequential, nn.ModuleList) have no init_weights,
   * so nothing below them is reached; mm* components and mmengine's containers are.
   */
  get hasInitWeights(): boolean {
    return true;
  }

  /**
   * The hard-coded part of a component's initialisation, what an mm* class writes in its own
   * init_weights() (mmcv ConvModule's Kaiming init). Runs after the init_cfg entries and the
   * children's initialisation, before Pretrained entries.
   */
  defaultInit(): void {}

  // --- mode --------------------------------------------------------------------------------
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    for (const [, m] of this.namedModules()) m.afterModeChange();
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Hook for norm_eval / frozen_stages style overrides after train()/eval(). */
  protected afterModeChange(): void {}

  // --- state dict --------------------------------------------------------------------------
  stateDict(): StateDict {
    const out: StateDict = new Map();
    for (const [k, p] of this.namedState()) out.set(k, p.toHost());
    return out;
  }

  /**
   * Load values by key. Reports what PyTorch reports; with `strict` any missing, unexpected
   * or shape-mismatched key is an error and nothing is written.
   */
  loadStateDict(dict: StateDict, opts: { strict?: boolean } = {}): LoadReport {
    const own = new Map(this.namedState());
    const report: LoadReport = { missing: [], unexpected: [], mismatched: [] };
    const toLoad: [Parameter, HostTensor][] = [];
    for (const [k, p] of own) {
      const v = dict.get(k);
      if (!v) {
        report.missing.push(k);
      } else if (!sameShape(p.shape, v.shape)) {
        report.mismatched.push({ key: k, expected: p.shape, got: v.shape });
      } else {
        toLoad.push([p, v]);
      }
    }
    for (const k of dict.keys()) if (!own.has(k)) report.unexpected.push(k);
    if (opts.strict && (report.missing.length || report.unexpected.length || report.mismatched.length)) {
      throw new StateDictError(describeLoadReport(report), report);
    }
    for (const [p, v] of toLoad) p.set(convertData(v, p));
    return report;
  }
}

const SCOPED = Symbol('hrdet.scopedForward');

/**
 * Make every call of a child's forward a memory scope of the active engine (see
 * Engine.scope): intermediates die when the call returns instead of at the end of the whole
 * model's forward.
 */
function scopeForward(m: Module): void {
  const target = m as unknown as { forward?: (...args: unknown[]) => unknown; [SCOPED]?: true };
  if (typeof target.forward !== 'function' || target[SCOPED]) return;
  const forward = target.forward;
  target.forward = function scopedForward(this: unknown, ...args: unknown[]) {
    return currentEngine().scope(() => forward.apply(this, args));
  };
  target[SCOPED] = true;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function convertData(v: HostTensor, p: Parameter) {
  if (v.dtype === p.dtype) return v.data.slice();
  if (p.dtype === 'int64') return BigInt64Array.from(Array.from(v.data as ArrayLike<number>, (x) => BigInt(Math.round(Number(x)))));
  if (p.dtype === 'float32') return Float32Array.from(v.data as ArrayLike<number>, (x) => Number(x));
  throw new Error(`cannot load a ${v.dtype} tensor into a ${p.dtype} parameter`);
}

/** PyTorch-style summary of a load. */
export function describeLoadReport(r: LoadReport): string {
  const parts: string[] = [];
  if (r.missing.length) parts.push(`missing keys (${r.missing.length}): ${listKeys(r.missing)}`);
  if (r.unexpected.length) parts.push(`unexpected keys (${r.unexpected.length}): ${listKeys(r.unexpected)}`);
  if (r.mismatched.length) {
    const m = r.mismatched.map((x) => `${x.key} (checkpoint ${shapeString(x.got)}, model ${shapeString(x.expected)})`);
    parts.push(`size mismatch (${m.length}): ${listKeys(m)}`);
  }
  return parts.length ? `error(s) in loading state_dict: ${parts.join('; ')}` : 'all keys matched';
}

function listKeys(keys: string[], limit = 8): string {
  const shown = keys.slice(0, limit).join(', ');
  return keys.length > limit ? `${shown}, ... (${keys.length - limit} more)` : shown;
}
