/**
 * mmengine's `init_cfg` (mmengine/model/weight_init.py and BaseModule.init_weights) for hrdet
 * modules: which initialiser fills which layers, checked like any other config value.
 *
 *   {type: 'Kaiming', layer: 'Conv2d'}                        every Conv2d in the subtree
 *   {type: 'Constant', val: 1, layer: ['_BatchNorm', 'GroupNorm']}
 *   {type: 'Normal', std: 0.01, override: {name: 'conv_seg'}}  the whole named child
 *   {type: 'Normal', std: 0.01, bias_prob: 0.01, layer: 'Conv2d'}  bias = -log((1 - p) / p)
 *   {type: 'Pretrained', checkpoint: 'r50.pth', prefix: 'backbone.'}
 *
 * An initialiser touches the `weight` and `bias` of each module it selects: `layer` selects by
 * class name (the PyTorch name, or a direct base such as `_BatchNorm` or `_ConvNd`), `override`
 * selects a child by name and initialises all of it. A list is applied in order.
 *
 * `initWeights` (mmengine's BaseModule.init_weights) walks a model in mmengine's order: a module's own
 * entries except Pretrained, then each child that has an init_weights of its own (so a child's
 * init_cfg wins over its parent's), then the module's defaultInit(), then its Pretrained
 * entries (so loaded weights win over everything). Plain containers stop the walk, as
 * nn.Sequential and nn.ModuleList do in mmengine.
 */
import { z } from 'zod';
import { ConfigError, UserError } from '../../core/errors';
import { describeLoadReport, type Module, type StateDict } from '../../core/module';
import type { Parameter } from '../../core/parameter';
import { closest } from '../../core/closest';
import { describeValue as describe } from '../../core/describe-value';
import {
  NONLINEARITIES,
  constantInit,
  kaimingNormal,
  kaimingUniform,
  normal,
  truncNormal,
  uniform,
  xavier,
  type Nonlinearity,
} from './initializers';

export const INIT_TYPES = ['Constant', 'Xavier', 'Normal', 'TruncNormal', 'Uniform', 'Kaiming', 'Caffe2Xavier', 'Pretrained'] as const;
export type InitType = (typeof INIT_TYPES)[number];

// --- config shapes (what a config file writes) -----------------------------------------------

interface CommonOptions {
  /** Class names selected in the subtree (PyTorch names, or direct bases such as `_BatchNorm`). */
  layer?: string | readonly string[];
  /** Value every selected bias is set to (default 0). */
  bias?: number;
  /** Sets the bias to -log((1 - p) / p) instead, so a sigmoid starts at probability p. */
  bias_prob?: number;
  /** Children initialised as a whole; with only `name`, by this entry's own initialiser. */
  override?: OverrideCfg | readonly OverrideCfg[];
}

type Distribution = 'normal' | 'uniform';

export type InitCfgEntry =
  | ({ type: 'Constant'; val: number } & CommonOptions)
  | ({ type: 'Xavier'; gain?: number; distribution?: Distribution } & CommonOptions)
  | ({ type: 'Normal'; mean?: number; std?: number } & CommonOptions)
  | ({ type: 'TruncNormal'; mean?: number; std?: number; a?: number; b?: number } & CommonOptions)
  | ({ type: 'Uniform'; a?: number; b?: number } & CommonOptions)
  | ({ type: 'Kaiming'; a?: number; mode?: 'fan_in' | 'fan_out'; nonlinearity?: Nonlinearity; distribution?: Distribution } & CommonOptions)
  | ({ type: 'Caffe2Xavier' } & CommonOptions)
  | { type: 'Pretrained'; checkpoint: string; prefix?: string | null; map_location?: string | null };

export type OverrideCfg = { name: string } & Partial<InitCfgEntry>;

/** One entry or a list, as `init_cfg` takes them. */
export type InitCfg = InitCfgEntry | readonly InitCfgEntry[];

export interface InitLogger {
  info(msg: string): void;
  warn(msg: string): void;
  debug?(msg: string): void;
}

export interface InitWeightsOptions {
  /**
   * Reads the state dict of a checkpoint file named by a Pretrained entry. Core has no
   * checkpoint I/O: the API layer passes it in (`buildModel` does).
   */
  loadCheckpoint?: (file: string) => Promise<StateDict>;
  /** Receives what was loaded, missing/unexpected keys and ineffective entries. */
  logger?: InitLogger;
  /** Config path of the module initialised, for messages (default `model`). */
  path?: string;
}

// --- validation --------------------------------------------------------------------------------

/** A problem at a path inside an init_cfg value. */
class InitCfgIssue extends Error {
  constructor(
    readonly path: (string | number)[],
    readonly detail: string,
  ) {
    super(detail);
  }
}

const layerOption = z.union([z.string(), z.array(z.string())], {
  errorMap: () => ({ message: "expected a layer class name or a list of them, e.g. 'Conv2d' or ['_BatchNorm', 'GroupNorm']" }),
});
const common = {
  bias: z.number().default(0),
  bias_prob: z.number().gt(0, 'must be a probability between 0 and 1 (exclusive)').lt(1, 'must be a probability between 0 and 1 (exclusive)').optional(),
  layer: layerOption.optional(),
  override: z.unknown().optional(),
};
const distribution = z.enum(['normal', 'uniform']).default('normal');

const OPTIONS = {
  Constant: z.object({ val: z.number(), ...common }).strict(),
  Xavier: z.object({ gain: z.number().default(1), distribution, ...common }).strict(),
  Normal: z.object({ mean: z.number().default(0), std: z.number().min(0, 'must be >= 0').default(1), ...common }).strict(),
  TruncNormal: z
    .object({ mean: z.number().default(0), std: z.number().gt(0, 'must be > 0').default(1), a: z.number().default(-2), b: z.number().default(2), ...common })
    .strict(),
  Uniform: z.object({ a: z.number().default(0), b: z.number().default(1), ...common }).strict(),
  Kaiming: z
    .object({
      a: z.number().default(0),
      mode: z.enum(['fan_in', 'fan_out']).default('fan_out'),
      nonlinearity: z.enum(NONLINEARITIES as [Nonlinearity, ...Nonlinearity[]]).default('relu'),
      distribution,
      ...common,
    })
    .strict(),
  Caffe2Xavier: z.object(common).strict(),
  Pretrained: z
    .object({
      checkpoint: z.string().min(1, 'must name a checkpoint file'),
      prefix: z.string().min(1, "is empty; leave prefix out to load the whole checkpoint").nullable().optional(),
      // accepted for mmengine configs; tensors are always read into host memory
      map_location: z.string().nullable().optional(),
    })
    .strict(),
} as const;

type LayerType = Exclude<InitType, 'Pretrained'>;

/** An initialiser ready to run: fills weights one way and sets biases to one value. */
interface LayerInit {
  kind: 'layer';
  type: LayerType;
  fill: (w: Parameter, key: string) => void;
  bias: number;
  layer: string[];
  override: OverrideInit[];
  path: string;
}

interface PretrainedInit {
  kind: 'pretrained';
  checkpoint: string;
  prefix: string | null;
  path: string;
}

export type ParsedInit = LayerInit | PretrainedInit;

interface OverrideInit {
  name: string;
  init: ParsedInit;
  path: string;
}

/**
 * Validate an init_cfg value (an entry, a list, or null) and turn it into initialisers.
 * Problems are ConfigErrors naming `path` (the config path of the init_cfg itself) and the
 * offending key inside it.
 */
export function parseInitCfg(value: unknown, path: string): ParsedInit[] {
  try {
    return parseEntries(value, path);
  } catch (e) {
    if (e instanceof InitCfgIssue) throw new ConfigError(joinPath(path, e.path), e.detail);
    throw e;
  }
}

/** Zod schema of an `init_cfg` option: validates each entry, passes the value through unchanged. */
export const initCfgSchema = z.unknown().superRefine((value, ctx) => {
  try {
    parseEntries(value, '');
  } catch (e) {
    if (!(e instanceof InitCfgIssue)) throw e;
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: e.path, message: e.detail });
  }
}) as unknown as z.ZodType<InitCfg | null | undefined, z.ZodTypeDef, InitCfg | null | undefined>;

function parseEntries(value: unknown, base: string): ParsedInit[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.map((e, i) => parseEntry(e, [i], base));
  return [parseEntry(value, [], base)];
}

function parseEntry(entry: unknown, at: (string | number)[], base: string): ParsedInit {
  if (!isDict(entry)) {
    throw new InitCfgIssue(at, `expected an init_cfg entry such as {type: 'Kaiming', layer: 'Conv2d'}, got ${describe(entry)}`);
  }
  const { type, ...options } = entry;
  const t = checkType(type, [...at, 'type']);
  const schema = OPTIONS[t];
  const parsed = schema.safeParse(options);
  if (!parsed.success) throw zodIssue(parsed.error, at, t, Object.keys(schema.shape));
  const path = joinPath(base, at);
  if (t === 'Pretrained') {
    const o = parsed.data as z.output<(typeof OPTIONS)['Pretrained']>;
    return { kind: 'pretrained', checkpoint: o.checkpoint, prefix: o.prefix ?? null, path };
  }
  const o = parsed.data as Record<string, unknown> & z.output<(typeof OPTIONS)['Caffe2Xavier']>;
  checkRanges(t, o, at);
  const init: LayerInit = {
    kind: 'layer',
    type: t,
    fill: weightFill(t, o, path),
    bias: o.bias_prob !== undefined ? biasFromProb(o.bias_prob) : o.bias,
    layer: o.layer === undefined ? [] : typeof o.layer === 'string' ? [o.layer] : [...o.layer],
    override: [],
    path,
  };
  if (o.override !== undefined) {
    // with only a name, an override reuses this entry's initialiser, without layer or override
    const { override: _o, layer: _l, ...own } = options;
    init.override = parseOverrides(o.override, [...at, 'override'], base, { type, ...own });
  }
  return init;
}

function parseOverrides(value: unknown, at: (string | number)[], base: string, inherited: Record<string, unknown>): OverrideInit[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((o, i) => {
    const here = Array.isArray(value) ? [...at, i] : at;
    if (!isDict(o)) throw new InitCfgIssue(here, `expected an override such as {name: 'fc_cls', type: 'Normal', std: 0.01}, got ${describe(o)}`);
    const { name, ...rest } = o;
    if (typeof name !== 'string' || name === '') {
      throw new InitCfgIssue([...here, 'name'], `an override needs the 'name' of a child (a string), got ${describe(name)}`);
    }
    if ('layer' in rest) throw new InitCfgIssue([...here, 'layer'], "an override initialises the whole named child; 'layer' does not apply to it");
    if ('override' in rest) throw new InitCfgIssue([...here, 'override'], 'an override cannot hold overrides of its own');
    const keys = Object.keys(rest);
    if (keys.length > 0 && !('type' in rest)) {
      throw new InitCfgIssue(here, `an override that sets ${keys.map((k) => `'${k}'`).join(', ')} needs a 'type' (or give only 'name' to reuse this entry's initialiser)`);
    }
    const cfg = keys.length > 0 ? rest : inherited;
    return { name, init: parseEntry(cfg, here, base), path: joinPath(base, here) };
  });
}

function checkType(type: unknown, at: (string | number)[]): InitType {
  const known = `one of ${INIT_TYPES.join(', ')}`;
  if (type === undefined) throw new InitCfgIssue(at.slice(0, -1), `an init_cfg entry needs a 'type': ${known}`);
  if (typeof type !== 'string') throw new InitCfgIssue(at, `expected the name of an initialiser (a string), got ${describe(type)}`);
  if (!(INIT_TYPES as readonly string[]).includes(type)) {
    const near = closestName(type, INIT_TYPES);
    throw new InitCfgIssue(at, `unknown init type '${type}'${near ? `; did you mean '${near}'?` : ''} (${known})`);
  }
  return type as InitType;
}

function checkRanges(type: LayerType, o: Record<string, unknown>, at: (string | number)[]): void {
  if (type === 'Uniform' && (o.a as number) > (o.b as number)) {
    throw new InitCfgIssue([...at, 'b'], `the upper bound must not be below a = ${o.a as number}, got ${o.b as number}`);
  }
  if (type === 'TruncNormal' && (o.a as number) >= (o.b as number)) {
    throw new InitCfgIssue([...at, 'b'], `the upper cutoff must be above a = ${o.a as number}, got ${o.b as number}`);
  }
}

function zodIssue(err: z.ZodError, at: (string | number)[], type: InitType, options: string[]): InitCfgIssue {
  const issue = err.issues[0];
  const path = [...at, ...issue.path];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const near = issue.keys.length === 1 ? closestName(issue.keys[0], options) : undefined;
      const keys = issue.keys.map((k) => `'${k}'`).join(', ');
      const hint = near ? ` (did you mean '${near}'?)` : '';
      return new InitCfgIssue(at, `${type} init has no option${issue.keys.length > 1 ? 's' : ''} ${keys}${hint}; its options: ${options.join(', ')}`);
    }
    case 'invalid_type':
      return new InitCfgIssue(
        path,
        issue.received === 'undefined' ? `${type} init needs this option (${issue.expected})` : `expected ${issue.expected}, got ${issue.received}`,
      );
    case 'invalid_enum_value':
      return new InitCfgIssue(path, `expected one of ${issue.options.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(issue.received)}`);
    default:
      return new InitCfgIssue(path, issue.message);
  }
}

/** mmengine's bias_init_with_prob: the bias whose sigmoid is `p`. */
export function biasFromProb(p: number): number {
  return -Math.log((1 - p) / p);
}

function weightFill(type: LayerType, o: Record<string, unknown>, path: string): (w: Parameter, key: string) => void {
  const num = (k: string) => o[k] as number;
  const needFans = (w: Parameter, key: string) => {
    if (w.shape.length < 2) {
      throw new ConfigError(
        path,
        `${type} cannot initialise '${key}' of shape [${w.shape.join(', ')}]: fan-in and fan-out need at least 2 dimensions (select layers with 'layer')`,
      );
    }
  };
  switch (type) {
    case 'Constant':
      return (w) => constantInit(w, num('val'));
    case 'Normal':
      return (w) => normal(w, num('mean'), num('std'));
    case 'TruncNormal':
      return (w) => truncNormal(w, num('mean'), num('std'), num('a'), num('b'));
    case 'Uniform':
      return (w) => uniform(w, num('a'), num('b'));
    case 'Xavier':
      return (w, key) => {
        needFans(w, key);
        xavier(w, num('gain'), o.distribution as Distribution);
      };
    case 'Kaiming': {
      const args = { a: num('a'), mode: o.mode as 'fan_in' | 'fan_out', nonlinearity: o.nonlinearity as Nonlinearity };
      const draw = o.distribution === 'uniform' ? kaimingUniform : kaimingNormal;
      return (w, key) => {
        needFans(w, key);
        draw(w, args);
      };
    }
    case 'Caffe2Xavier':
      // Caffe2's XavierFill is PyTorch's kaiming_uniform with a = 1 on fan_in
      return (w, key) => {
        needFans(w, key);
        kaimingUniform(w, { a: 1, mode: 'fan_in', nonlinearity: 'leaky_relu' });
      };
  }
}

// --- layer selection ---------------------------------------------------------------------------

/** Direct PyTorch base classes of the layers `layer` names can select by (mmengine matches those too). */
const PYTORCH_BASES: Readonly<Record<string, readonly string[]>> = {
  Conv1d: ['_ConvNd'],
  Conv2d: ['_ConvNd'],
  Conv3d: ['_ConvNd'],
  ConvTranspose1d: ['_ConvTransposeNd'],
  ConvTranspose2d: ['_ConvTransposeNd'],
  ConvTranspose3d: ['_ConvTransposeNd'],
  BatchNorm1d: ['_BatchNorm'],
  BatchNorm2d: ['_BatchNorm'],
  BatchNorm3d: ['_BatchNorm'],
  SyncBatchNorm: ['_BatchNorm'],
  InstanceNorm1d: ['_InstanceNorm'],
  InstanceNorm2d: ['_InstanceNorm'],
  InstanceNorm3d: ['_InstanceNorm'],
};

/** Layer class names a config may name although a given model lacks them (no typo warning for those). */
const KNOWN_LAYERS = new Set([
  ...Object.keys(PYTORCH_BASES),
  ...Object.values(PYTORCH_BASES).flat(),
  'Linear',
  'GroupNorm',
  'LayerNorm',
  'Embedding',
  'ConvModule',
  'MultiheadAttention',
]);

/** The names `layer` matches a module by: its PyTorch class name and its direct base classes. */
export function layerNames(m: Module): string[] {
  const names = [m.typeName, ...(PYTORCH_BASES[m.typeName] ?? [])];
  const parent = (Object.getPrototypeOf(m.constructor) as { name?: string } | null)?.name;
  if (parent && parent !== 'Module' && !names.includes(parent)) names.push(parent);
  return names;
}

/** A child by its registered name, or by the property an mm* class exposes it as (`norm3` for `bn3`). */
function namedChild(m: Module, name: string): Module | undefined {
  const c = m.child(name);
  if (c) return c;
  const prop = (m as unknown as Record<string, unknown>)[name];
  for (const [, d] of m.namedModules()) if (d === prop && d !== m) return d;
  return undefined;
}

// --- applying ----------------------------------------------------------------------------------

interface ApplyContext {
  checkpoints: ReadonlyMap<string, StateDict>;
  logger?: InitLogger;
}

/**
 * mmengine's `initialize(module, init_cfg)`: every entry in order on `module`'s subtree (a
 * Pretrained entry loads into `module` itself, non-strictly). `opts.path` is the config path of
 * `module`; errors name `${path}.init_cfg...`.
 */
export async function applyInitCfg(module: Module, initCfg: unknown, opts: InitWeightsOptions = {}): Promise<void> {
  const path = opts.path ?? 'model';
  const entries = parseInitCfg(initCfg, `${path}.init_cfg`);
  const checkpoints = await readCheckpoints(entries, opts);
  applyEntries(module, path, entries, { checkpoints, logger: opts.logger });
}

/**
 * mmengine's BaseModule.init_weights: reads the checkpoints every Pretrained entry of the
 * reachable modules names, then initialises synchronously in mmengine's order (see the file
 * comment). Pretrained checkpoints are read through `opts.loadCheckpoint` (the API layer
 * passes checkpoint I/O in).
 */
export async function initWeights(root: Module, opts: InitWeightsOptions = {}): Promise<void> {
  const plan = new Map<Module, ParsedInit[]>();
  const visit = (m: Module, path: string): void => {
    plan.set(m, parseInitCfg(m.initCfg, `${path}.init_cfg`));
    for (const [name, c] of m.children()) if (c.hasInitWeights) visit(c, `${path}.${name}`);
  };
  const base = opts.path ?? 'model';
  visit(root, base);
  const checkpoints = await readCheckpoints([...plan.values()].flat(), opts);
  walk(root, base, plan, { checkpoints, logger: opts.logger });
}

function walk(m: Module, path: string, plan: Map<Module, ParsedInit[]>, ctx: ApplyContext): void {
  const entries = plan.get(m) ?? [];
  if (entries.length) ctx.logger?.debug?.(`${path}: initialise ${m.typeName} with init_cfg ${JSON.stringify(m.initCfg)}`);
  applyEntries(m, path, entries.filter((e) => e.kind !== 'pretrained'), ctx);
  for (const [name, c] of m.children()) if (c.hasInitWeights) walk(c, `${path}.${name}`, plan, ctx);
  m.defaultInit();
  applyEntries(m, path, entries.filter((e) => e.kind === 'pretrained'), ctx);
}

function applyEntries(module: Module, path: string, entries: ParsedInit[], ctx: ApplyContext): void {
  for (const e of entries) {
    if (e.kind === 'pretrained') {
      loadPretrained(module, path, e, ctx);
      continue;
    }
    initLayers(module, path, e, false, ctx);
    for (const o of e.override) {
      const target = namedChild(module, o.name);
      if (!target) {
        const names = [...module.children()].map(([n]) => n);
        const near = closestName(o.name, names);
        throw new ConfigError(
          `${o.path}.name`,
          `${module.typeName} has no child '${o.name}'${near ? `; did you mean '${near}'?` : ''} (children: ${names.join(', ') || 'none'})`,
        );
      }
      const where = `${path}.${o.name}`;
      if (o.init.kind === 'pretrained') loadPretrained(target, where, o.init, ctx);
      else initLayers(target, where, o.init, true, ctx);
    }
  }
}

/** Fill weight and bias of the selected modules: by `layer`, or all of them (an override). */
function initLayers(module: Module, path: string, e: LayerInit, whole: boolean, ctx: ApplyContext): void {
  const wanted = new Set(e.layer);
  const seen = new Set<string>();
  for (const [name, m] of module.namedModules()) {
    const names = layerNames(m);
    names.forEach((n) => seen.add(n));
    if (!whole && !names.some((n) => wanted.has(n))) continue;
    const w = m.ownParameter('weight');
    const b = m.ownParameter('bias');
    if (w) e.fill(w, [path, name, 'weight'].filter((s) => s !== '').join('.'));
    if (b) constantInit(b, e.bias);
  }
  if (whole) return;
  if (e.layer.length === 0 && e.override.length === 0) {
    ctx.logger?.warn(`${e.path}: ${e.type} has neither 'layer' nor 'override', so it initialises nothing in ${path}`);
  }
  for (const l of e.layer) {
    if (seen.has(l) || KNOWN_LAYERS.has(l)) continue;
    const near = closestName(l, [...seen, ...KNOWN_LAYERS]);
    ctx.logger?.warn(`${e.path}: layer '${l}' matches no layer in ${path}${near ? `; did you mean '${near}'?` : ''}`);
  }
}

/** mmengine's PretrainedInit: a non-strict load, keys under `prefix` with the prefix removed. */
function loadPretrained(module: Module, path: string, e: PretrainedInit, ctx: ApplyContext): void {
  const all = ctx.checkpoints.get(e.checkpoint);
  if (!all) throw new Error(`checkpoint ${e.checkpoint} was not read before initialisation`);
  let dict = all;
  let what = e.checkpoint;
  if (e.prefix !== null) {
    const prefix = e.prefix.endsWith('.') ? e.prefix : `${e.prefix}.`;
    dict = new Map([...all].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    if (dict.size === 0) {
      const first = [...all.keys()].slice(0, 3).map((k) => `'${k}'`).join(', ');
      throw new ConfigError(`${e.path}.prefix`, `no key of ${e.checkpoint} starts with '${prefix}' (its first keys: ${first || 'none'})`);
    }
    what = `'${prefix}*' of ${e.checkpoint}`;
  }
  const report = module.loadStateDict(dict, { strict: false });
  const problems = report.missing.length + report.unexpected.length + report.mismatched.length;
  const loaded = [...module.namedState()].length - report.missing.length - report.mismatched.length;
  ctx.logger?.info(`${path}: loaded ${loaded} tensors from ${what}`);
  if (problems) ctx.logger?.warn(`${path}: ${describeLoadReport(report)}`);
}

/** Every checkpoint the Pretrained entries (and overrides) name, read once each. */
async function readCheckpoints(entries: ParsedInit[], opts: InitWeightsOptions): Promise<Map<string, StateDict>> {
  const wanted = new Map<string, string>();
  const note = (e: ParsedInit) => {
    if (e.kind === 'pretrained' && !wanted.has(e.checkpoint)) wanted.set(e.checkpoint, e.path);
  };
  for (const e of entries) {
    note(e);
    if (e.kind === 'layer') e.override.forEach((o) => note(o.init));
  }
  const out = new Map<string, StateDict>();
  for (const [file, path] of wanted) {
    if (!opts.loadCheckpoint) {
      throw new ConfigError(`${path}.checkpoint`, `reading '${file}' needs checkpoint I/O, which this initialisation was not given (build with buildModel, or pass loadCheckpoint to initWeights)`);
    }
    try {
      out.set(file, await opts.loadCheckpoint(file));
    } catch (e) {
      if (e instanceof UserError && !(e instanceof ConfigError)) throw new ConfigError(`${path}.checkpoint`, e.message);
      throw e;
    }
  }
  return out;
}

// --- small helpers -----------------------------------------------------------------------------

function isDict(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function joinPath(base: string, at: readonly (string | number)[]): string {
  return [base, ...at.map(String)].filter((s) => s !== '').join('.');
}

/** The candidate nearest to `name` (case-insensitive edit distance), when near enough to be a typo. */
function closestName(name: string, candidates: Iterable<string>): string | undefined {
  return closest(name, candidates, 1)[0];
}
