import type { z } from 'zod';
import { ConfigError } from '../core/errors';
import { closest } from '../core/closest';
import type { BuildContext } from './build-context';

export const BUILTIN_SCOPE = 'hrdet';

/**
 * Scopes of hrdet's own components that share a name with a built-in but follow another
 * mm* codebase (mmpose's `CocoDataset` and `RandomFlip`, ...). They register with
 * `scope: 'mmpose'` etc. and are found through a config's `default_scope` or as `mmpose.Name`.
 */
export const TASK_SCOPES: ReadonlySet<string> = new Set(['mmpose', 'mmseg', 'mmpretrain']);

export type Factory<T> = (options: any, ctx: BuildContext) => T;

export interface ComponentSpec<T> {
  readonly name: string;
  readonly scope: string;
  readonly aliases: readonly string[];
  /** Validates the options (the config dict without `type`); its output goes to the factory. */
  readonly schema: z.ZodTypeAny;
  readonly factory: Factory<T>;
  /** One line shown by `hrdet list`. */
  readonly summary?: string;
}

export interface RegisterOptions {
  name?: string;
  aliases?: string[];
  scope?: string;
  /** Replace an existing entry of the same scoped name instead of failing. */
  force?: boolean;
  summary?: string;
}

let pluginScope: string | null = null;
let defaultScope: string | null = null;

/**
 * mmengine's DefaultScope: while `fn` builds, a bare type name is looked up in `scope` first
 * (`default_scope = 'mmpose'` makes `CocoDataset` the top-down keypoint dataset and
 * `RandomFlip` mmpose's), then among the built-ins. A config without one uses the built-ins
 * (mmdetection's components).
 */
export function withDefaultScope<T>(scope: string | null | undefined, fn: () => T): T {
  const prev = defaultScope;
  defaultScope = scope ?? null;
  try {
    return fn();
  } finally {
    defaultScope = prev;
  }
}

/** The scope bare names are looked up in first while building (see withDefaultScope). */
export function currentDefaultScope(): string | null {
  return defaultScope;
}

/**
 * Registrations made while a plugin loads default to the plugin's scope (see config/plugins).
 * `null` restores the built-in scope, for hrdet's own modules first loaded from inside a plugin.
 */
export function withRegistrationScope<T>(scope: string | null, fn: () => T): T {
  const prev = pluginScope;
  pluginScope = scope;
  try {
    return fn();
  } finally {
    pluginScope = prev;
  }
}

/**
 * A table of components of one kind (backbones, necks, ...), keyed by `scope.Name`.
 * A bare name resolves to the built-in when there is one, so a plugin can never silently
 * shadow hrdet's own components; the plugin's is reached as `scope.Name`.
 */
export class Registry<T = unknown> {
  private readonly entries = new Map<string, ComponentSpec<T>>();

  constructor(readonly kind: string) {}

  register(schema: z.ZodTypeAny, factory: Factory<T>, opts: RegisterOptions & { name: string }): ComponentSpec<T> {
    const scope = opts.scope ?? pluginScope ?? BUILTIN_SCOPE;
    if (!/^[A-Za-z_][\w-]*$/.test(scope)) throw new Error(`invalid registry scope '${scope}'`);
    if (opts.name.includes('.')) throw new Error(`component names cannot contain '.': '${opts.name}'`);
    if (pluginScope && (scope === BUILTIN_SCOPE || TASK_SCOPES.has(scope)) && !opts.force) {
      throw new Error(`plugin components cannot register into hrdet's '${scope}' scope: '${opts.name}'`);
    }
    const spec: ComponentSpec<T> = {
      name: opts.name,
      scope,
      aliases: opts.aliases ?? [],
      schema,
      factory,
      summary: opts.summary,
    };
    for (const n of [spec.name, ...spec.aliases]) {
      const key = `${scope}.${n}`;
      if (this.entries.has(key) && !opts.force) {
        throw new Error(`${this.kind} '${key}' is already registered (pass force: true to replace it)`);
      }
    }
    for (const n of [spec.name, ...spec.aliases]) this.entries.set(`${scope}.${n}`, spec);
    return spec;
  }

  /** Class decorator form: `@BACKBONES.decorate(schema)` on `class X { constructor(opts, ctx) }`. */
  decorate(schema: z.ZodTypeAny, opts: RegisterOptions = {}) {
    return <C extends new (options: any, ctx: BuildContext) => T>(cls: C): C => {
      this.register(schema, (o, ctx) => new cls(o, ctx), { ...opts, name: opts.name ?? cls.name });
      return cls;
    };
  }

  has(type: string): boolean {
    return this.tryResolve(type) !== undefined;
  }

  /** Distinct components (aliases folded), as `scope.Name` for plugins and `Name` for built-ins. */
  list(): ComponentSpec<T>[] {
    return [...new Set(this.entries.values())];
  }

  displayName(spec: ComponentSpec<T>): string {
    return spec.scope === BUILTIN_SCOPE ? spec.name : `${spec.scope}.${spec.name}`;
  }

  private tryResolve(type: string): ComponentSpec<T> | undefined {
    const dot = type.lastIndexOf('.');
    if (dot > 0) return this.entries.get(type);
    const scoped = defaultScope ? this.entries.get(`${defaultScope}.${type}`) : undefined;
    if (scoped) return scoped;
    const builtin = this.entries.get(`${BUILTIN_SCOPE}.${type}`);
    if (builtin) return builtin;
    // task scopes of hrdet's own (mmpose, mmseg, ...) are reached by default_scope or by name only
    const matches = [...this.entries.entries()].filter(([k, spec]) => k.slice(k.indexOf('.') + 1) === type && !TASK_SCOPES.has(spec.scope));
    if (matches.length > 1) {
      throw new ConfigError('', `${this.kind} '${type}' is ambiguous: use one of ${matches.map(([k]) => k).join(', ')}`);
    }
    return matches[0]?.[1];
  }

  /** The spec for `type`, or a ConfigError naming `path` and the closest registered names. */
  resolve(type: string, path: string): ComponentSpec<T> {
    let spec: ComponentSpec<T> | undefined;
    try {
      spec = this.tryResolve(type);
    } catch (e) {
      if (e instanceof ConfigError) throw new ConfigError(path, e.detail);
      throw e;
    }
    if (spec) return spec;
    const names = [...this.entries.keys()].map((k) => (k.startsWith(`${BUILTIN_SCOPE}.`) ? k.slice(BUILTIN_SCOPE.length + 1) : k));
    const near = closest(type, names);
    const hint = near.length ? `; did you mean ${near.map((n) => `'${n}'`).join(' or ')}?` : '';
    throw new ConfigError(`${path}.type`, `unknown ${this.kind} type '${type}'${hint} (see \`hrdet list ${this.kind}s\`)`);
  }
}
