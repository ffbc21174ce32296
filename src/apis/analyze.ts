import { UserError } from '../core/errors';
import { withEngine } from '../core/engine-context';
import { shapeString } from '../core/host-tensor';
import type { Module } from '../core/module';
import type { Tensor } from '../core/tensor';
import { BaseModel } from '../models/base-model';
import { Neck } from '../models/necks/neck';
import { ShapeEngine, type CountedOp } from '../engines/shape/shape-engine';

/** One row of the per-module table. */
export interface ModuleStats {
  /** Dotted module path ('' = the model itself). */
  name: string;
  type: string;
  /** 0 for the model, 1 for its children, ... */
  depth: number;
  /** Parameters of the module and all its children (trainable and frozen; buffers excluded). */
  params: number;
  /** Multiply-accumulates of the module and everything that ran inside it. */
  macs: number;
  /** Multiply-accumulates of ops the module ran itself (outside any child's forward). */
  selfMacs: number;
  /** How many times its `forward` ran (a head shared across pyramid levels runs several times). */
  calls: number;
  /** Output shape(s) of its first call, e.g. `[1, 32, 64, 48]`; empty when it never ran or returns no tensors. */
  output: string;
}

export interface Analysis {
  /** Full input shape, batch 1: [1, C, H, W] (or one shape per input for a neck). */
  inputShapes: number[][];
  /** All parameters (trainable + frozen), buffers excluded. */
  params: number;
  trainableParams: number;
  /** Multiply-accumulates of conv2d, conv_transpose2d, linear and matmul for one image; bias adds excluded. */
  macs: number;
  macsByOp: Record<CountedOp, number>;
  /** Every module in `namedModules()` order. */
  modules: ModuleStats[];
  /** The model's outputs and their shapes. */
  outputs: { name: string; shape: number[] }[];
  /**
   * True when an op with a data-dependent output size (nms) ran: it was given its upper
   * bound (every box kept), so counts after it are upper bounds. `notes` says where.
   */
  partial: boolean;
  notes: string[];
}

export interface AnalyzeOptions {
  /** [C, H, W] of one image; analysed with batch 1. */
  inputShape?: readonly number[];
  /** A neck's inputs: one full [N, C, H, W] shape per level (a neck has no single input). */
  inputShapes?: readonly (readonly number[])[];
}

/** How the analysis decides what "running" means for a module. */
type ForwardFn = (...args: unknown[]) => unknown;

/**
 * Count parameters and multiply-accumulates of a model by running its forward on the shape
 * engine (shapes only, no data). Counts are attributed to the innermost module whose
 * `forward` is running: every module instance's `forward` is wrapped for the duration of the
 * analysis to keep a stack of module names, then restored.
 *
 * Entry points: a BaseModel runs its `tensor` mode, a Neck runs `forward(inputs)` (needs
 * `inputShapes`), any other module `forward(input)`. The model runs in eval mode; its mode
 * is restored afterwards.
 */
export function analyzeModel(model: Module, opts: AnalyzeOptions = {}): Analysis {
  const inputShapes = entryShapes(model, opts);
  const moduleNames = new Map<Module, string>();
  for (const [name, m] of model.namedModules()) if (!moduleNames.has(m)) moduleNames.set(m, name);

  const selfMacs = new Map<string, number>();
  const calls = new Map<string, number>();
  const outputs = new Map<string, string>();
  const notes: string[] = [];
  const stack: string[] = [];
  const running = () => (stack.length ? stack[stack.length - 1] : '');
  const macsByOp: Record<CountedOp, number> = { conv2d: 0, conv_transpose2d: 0, linear: 0, matmul: 0 };

  const engine = new ShapeEngine({
    macs: (op, n) => {
      macsByOp[op] += n;
      selfMacs.set(running(), (selfMacs.get(running()) ?? 0) + n);
    },
    dataDependent: (op, shape) => {
      notes.push(`${running() || 'the model'}: ${op} keeps a data-dependent number of boxes; counted with its upper bound ${shapeString(shape)}`);
    },
  });

  const restore = wrapForwards(moduleNames, (name, run) => {
    stack.push(name);
    calls.set(name, (calls.get(name) ?? 0) + 1);
    try {
      const out = run();
      if (!outputs.has(name)) outputs.set(name, describeOutput(out));
      return out;
    } catch (e) {
      throw locate(e, name);
    } finally {
      stack.pop();
    }
  });
  const wasTraining = model.training;
  let result: { name: string; shape: number[] }[];
  try {
    model.eval();
    result = withEngine(engine, () => runModel(model, inputShapes.map((shape) => engine.input(shape))));
  } catch (e) {
    throw locate(e, '');
  } finally {
    restore();
    if (wasTraining) model.train(true);
  }

  const modules = tabulate(model, selfMacs, calls, outputs);
  return {
    inputShapes,
    params: model.numParameters(),
    trainableParams: model.numParameters(true),
    macs: engine.macs,
    macsByOp,
    modules,
    outputs: result,
    partial: notes.length > 0,
    notes,
  };
}

/** Replace each module's `forward` with a wrapper; returns the function that undoes it. */
function wrapForwards(
  names: Map<Module, string>,
  around: (name: string, run: () => unknown) => unknown,
): () => void {
  const undo: (() => void)[] = [];
  for (const [m, name] of names) {
    const target = m as unknown as { forward?: ForwardFn };
    const original = target.forward;
    if (typeof original !== 'function') continue;
    const hadOwn = Object.prototype.hasOwnProperty.call(m, 'forward');
    target.forward = function (this: unknown, ...args: unknown[]) {
      return around(name, () => original.apply(this, args));
    };
    undo.push(() => {
      if (hadOwn) target.forward = original;
      else delete target.forward;
    });
  }
  return () => undo.forEach((u) => u());
}

function entryShapes(model: Module, opts: AnalyzeOptions): number[][] {
  if (model instanceof Neck) {
    if (!opts.inputShapes?.length) throw new UserError('analysing a neck needs the shapes of its inputs (inputShapes)');
    return opts.inputShapes.map((s) => [...s]);
  }
  const chw = opts.inputShape ?? [3, 224, 224];
  if (chw.length !== 3 || !chw.every((d) => Number.isInteger(d) && d > 0)) {
    throw new UserError(`the input shape must be three positive integers C,H,W, got ${shapeString(chw)}`);
  }
  if (model instanceof BaseModel && chw[0] !== model.inChannels) {
    throw new UserError(`the input has ${chw[0]} channels but the model expects ${model.inChannels}`);
  }
  return [[1, ...chw]];
}

function runModel(model: Module, inputs: Tensor[]): { name: string; shape: number[] }[] {
  if (model instanceof BaseModel) {
    return [...model.forward(inputs[0])].map(([name, t]) => ({ name, shape: [...t.shape] }));
  }
  const forward = (model as unknown as { forward?: ForwardFn }).forward;
  if (typeof forward !== 'function') throw new UserError(`${model.typeName} has no forward to analyse`);
  const out = forward.call(model, model instanceof Neck ? inputs : inputs[0]);
  if (out instanceof Map) return [...out].filter(([, t]) => isTensor(t)).map(([name, t]: [string, Tensor]) => ({ name, shape: [...t.shape] }));
  return tensorsOf(out).map((t, i, all) => ({ name: all.length === 1 ? 'output' : `output.${i}`, shape: [...t.shape] }));
}

function tabulate(
  model: Module,
  selfMacs: Map<string, number>,
  calls: Map<string, number>,
  outputs: Map<string, string>,
): ModuleStats[] {
  const rows: ModuleStats[] = [];
  const seen = new Set<Module>();
  for (const [name, m] of model.namedModules()) {
    if (seen.has(m)) continue;
    seen.add(m);
    rows.push({
      name,
      type: m.typeName,
      depth: name === '' ? 0 : name.split('.').length,
      params: m.numParameters(),
      macs: 0,
      selfMacs: selfMacs.get(name) ?? 0,
      calls: calls.get(name) ?? 0,
      output: outputs.get(name) ?? '',
    });
  }
  // inclusive MACs: a module's own plus those of every module below it in the tree
  const byName = new Map(rows.map((r) => [r.name, r]));
  for (const row of rows) {
    if (row.selfMacs === 0) continue;
    const parts = row.name === '' ? [] : row.name.split('.');
    for (let k = parts.length; k >= 0; k--) {
      const ancestor = byName.get(parts.slice(0, k).join('.'));
      if (ancestor) ancestor.macs += row.selfMacs;
    }
  }
  return rows;
}

function tensorsOf(out: unknown): Tensor[] {
  if (isTensor(out)) return [out];
  if (Array.isArray(out)) return out.filter(isTensor);
  if (out instanceof Map) return [...out.values()].filter(isTensor);
  return [];
}

function isTensor(v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && Array.isArray((v as Tensor).shape) && typeof (v as Tensor).dtype === 'string';
}

function describeOutput(out: unknown): string {
  const ts = tensorsOf(out);
  if (ts.length === 0) return '';
  const shapes = ts.map((t) => shapeString(t.shape));
  return ts.length === 1 && isTensor(out) ? shapes[0] : shapes.join(' ');
}

/** Name the module in which an error happened (once, at the innermost module); the original stays as `cause`. */
function locate(e: unknown, name: string): unknown {
  if (!(e instanceof Error) || (e as { located?: boolean }).located) return e;
  const message = `${name || 'model'}: ${e.message}`;
  const err = e instanceof UserError ? new UserError(message) : new Error(message);
  (err as { located?: boolean }).located = true;
  (err as { cause?: unknown }).cause = e;
  return err;
}
