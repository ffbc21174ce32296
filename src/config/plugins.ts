import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { ConfigError } from '../core/errors';
import { describe } from '../registry/build-context';
import { BUILTIN_SCOPE, withRegistrationScope } from '../registry/registry';
import { ConsoleLogger, type Logger } from '../registry/services';
import { CFG_OPTIONS_SOURCE, displayPath, isPlainObject, joinPath, sourceOf, type ConfigObject } from './config-tree';
import { loadedConfigOf } from './load-config';
import { loadUserModule, resolveLocalFile } from './module-loader';
import { oneLine } from './read-config-file';

export interface LoadedPlugin {
  /** As written in `custom_imports` or given to `--plugin`. */
  request: string;
  /** The module's absolute path. */
  file: string;
  /** The registry scope its components were registered in (`scope.Name`). */
  scope: string;
  /** False when an earlier call had loaded it: a plugin is evaluated once per process. */
  loadedNow: boolean;
}

export interface LoadPluginsOptions {
  /**
   * Directory `custom_imports` paths are relative to when the config did not come from
   * loadConfig (which knows the file that wrote each entry); default: the config file's,
   * else the working directory.
   */
  baseDir?: string;
  /** `--plugin` modules, relative to the working directory, loaded before `custom_imports`. */
  extra?: readonly string[];
  /** The config file, named in error messages. */
  file?: string;
  /** Where `allow_failed_imports` reports the imports it skips (default: stderr). */
  logger?: Logger;
}

const CUSTOM_IMPORTS = 'custom_imports';
const SCOPE_NAME = /^[A-Za-z_][\w-]*$/;
/** `export const scope = '...'` (or `exports.scope = '...'`): read before the plugin runs. */
const EXPLICIT_SCOPE = /(?:\bexport\s+const\s+scope\s*(?::\s*string\s*)?=|\b(?:module\.)?exports\.scope\s*=)\s*(['"`])([^'"`\n]*)\1/;

/** Plugins loaded in this process, by file: loading again must not register twice. */
const loaded = new Map<string, string>();

/**
 * Load the `--plugin` modules and the config's `custom_imports` (mmengine's
 * `{imports: [...], allow_failed_imports: false}`). Each plugin's registrations go to its
 * scope: `export const scope = '...'` when it declares one, else its package name or file
 * name (`index` files: their directory's). Its components then build like built-ins, by
 * `scope.Name`, or by `Name` alone where no built-in has that name.
 */
export function loadPlugins(config: ConfigObject | null | undefined, opts: LoadPluginsOptions = {}): LoadedPlugin[] {
  const out: LoadedPlugin[] = [];
  for (const request of opts.extra ?? []) {
    out.push(loadPlugin(request, process.cwd(), { at: '--plugin' })!);
  }
  const file = opts.file ? displayPath(path.resolve(opts.file)) : undefined;
  const baseDir = opts.baseDir ?? (opts.file ? path.dirname(path.resolve(opts.file)) : process.cwd());
  // the file that wrote an entry: a base file's entries are relative to it, --cfg-options' to the working directory
  const origin = config ? loadedConfigOf(config) : undefined;
  const sourceAt = (at: string) => (origin ? sourceOf(origin.sources, at, '') : '');
  const fileAt = (at: string) => (path.isAbsolute(sourceAt(at)) ? displayPath(sourceAt(at)) : file);
  const { imports, allowFailed, at } = readCustomImports(config, fileAt);
  imports.forEach((request, i) => {
    const source = sourceAt(at(i));
    const dir = source === CFG_OPTIONS_SOURCE ? process.cwd() : path.isAbsolute(source) ? path.dirname(source) : baseDir;
    const where = { at: at(i), file: fileAt(at(i)), skipMissing: allowFailed ? (opts.logger ?? new ConsoleLogger()) : undefined };
    const plugin = loadPlugin(request, dir, where);
    if (plugin) out.push(plugin);
  });
  return out;
}

function readCustomImports(config: ConfigObject | null | undefined, fileAt: (at: string) => string | undefined) {
  const ci = config?.[CUSTOM_IMPORTS];
  if (ci === undefined || ci === null) return { imports: [] as string[], allowFailed: false, at: (_: number) => '' };
  const bad = (at: string, detail: string) => new ConfigError(at, detail, fileAt(at));
  const shape = 'expected {imports: [module paths], allow_failed_imports?: true|false}';
  if (!isPlainObject(ci)) throw bad(CUSTOM_IMPORTS, `${shape}, got ${describe(ci)}`);
  const unknown = Object.keys(ci).filter((k) => k !== 'imports' && k !== 'allow_failed_imports');
  if (unknown.length) throw bad(CUSTOM_IMPORTS, `has no option ${unknown.map((k) => `'${k}'`).join(', ')} (${shape})`);
  const { imports, allow_failed_imports: allow } = ci;
  const key = `${CUSTOM_IMPORTS}.imports`;
  const list = typeof imports === 'string' ? [imports] : imports;
  if (!Array.isArray(list)) throw bad(key, `expected a list of module paths, got ${describe(imports)}`);
  list.forEach((x, i) => {
    if (typeof x !== 'string' || !x) throw bad(joinPath(key, i), `expected a module path, got ${describe(x)}`);
  });
  if (allow !== undefined && typeof allow !== 'boolean') {
    throw bad(`${CUSTOM_IMPORTS}.allow_failed_imports`, `expected true or false, got ${describe(allow)}`);
  }
  const at = (i: number) => (typeof imports === 'string' ? key : joinPath(key, i));
  return { imports: list as string[], allowFailed: allow === true, at };
}

interface Where {
  /** Config path (or `--plugin`) the request came from. */
  at: string;
  file?: string;
  /** With `allow_failed_imports`: a plugin that cannot be found is reported here and skipped. */
  skipMissing?: Logger;
}

function loadPlugin(request: string, baseDir: string, where: Where): LoadedPlugin | null {
  const fail = (detail: string) => new ConfigError(where.at, detail, where.file);
  const skip = (why: string) =>
    where.skipMissing?.warn(`${where.file ? `${where.file}: ` : ''}${where.at}: plugin '${request}' ${why}, skipped (allow_failed_imports)`);
  const target = resolvePlugin(request, baseDir);
  if (!target) {
    if (where.skipMissing) {
      skip('not found');
      return null;
    }
    const hint = isPathLike(request)
      ? `no such file ${displayPath(path.resolve(baseDir, request))}`
      : `neither a file in ${displayPath(baseDir)} nor an installed package`;
    throw fail(`cannot find plugin '${request}' (${hint})`);
  }
  const file = fs.realpathSync(target.file);
  const known = loaded.get(file);
  if (known) return { request, file, scope: known, loadedNow: false };

  const explicit = EXPLICIT_SCOPE.exec(fs.readFileSync(file, 'utf8'))?.[2];
  const scope = explicit ?? target.scope;
  if (!SCOPE_NAME.test(scope) || scope === BUILTIN_SCOPE) {
    const how =
      explicit !== undefined ? `declares scope '${scope}'` : `would get scope '${scope}' from its name; declare one with export const scope = '...'`;
    throw fail(`plugin '${request}' ${how}: a scope is letters, digits, '_' and '-', not starting with a digit, and not '${BUILTIN_SCOPE}'`);
  }
  let exports: unknown;
  try {
    exports = withRegistrationScope(scope, () => loadUserModule(file));
  } catch (e) {
    // as mmengine's allow_failed_imports: only a missing module is forgiven, not a failing one
    if (where.skipMissing && (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
      skip(`failed to import (${oneLine(e)})`);
      return null;
    }
    throw fail(`plugin '${request}' failed to load: ${oneLine(e)}`);
  }
  const exported = (exports as { scope?: unknown } | null)?.scope;
  if (explicit === undefined && typeof exported === 'string' && exported !== scope) {
    throw fail(
      `plugin '${request}' exports scope '${exported}', but its components were registered as '${scope}': ` +
        `write it as a literal, export const scope = '${exported}'`,
    );
  }
  loaded.set(file, scope);
  return { request, file, scope, loadedNow: true };
}

/** The plugins this process has loaded (file and scope), for threads that must load the same. */
export function loadedPluginFiles(): { file: string; scope: string }[] {
  return [...loaded].map(([file, scope]) => ({ file, scope }));
}

/** Load a plugin file another thread already loaded, in the scope it got there. */
export function loadPluginFile(file: string, scope: string): void {
  if (loaded.has(file)) return;
  withRegistrationScope(scope, () => loadUserModule(file));
  loaded.set(file, scope);
}

/** Starts like a path or ends in a module extension: resolved against the base directory only. */
function isPathLike(request: string): boolean {
  return /^\.{1,2}([\\/]|$)/.test(request) || path.isAbsolute(request) || /\.(c|m)?(j|t)sx?$/.test(request);
}

/** The plugin's entry file and the scope its name gives it, or null when there is none. */
function resolvePlugin(request: string, baseDir: string): { file: string; scope: string } | null {
  if (!isPathLike(request)) {
    try {
      const file = createRequire(path.join(baseDir, 'noop.js')).resolve(request);
      return { file, scope: scopeName(packageName(request)) };
    } catch {
      // not an installed package: maybe a file next to the config written without './'
    }
  }
  const base = path.resolve(baseDir, request);
  let file: string;
  try {
    file = resolveLocalFile(base, request);
  } catch {
    return null;
  }
  const pkg = path.join(base, 'package.json');
  const pkgName = file !== base && fs.existsSync(pkg) ? (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name : undefined;
  const stem = path.basename(file).replace(/\.[^.]+$/, '');
  return { file, scope: scopeName(pkgName ?? (stem === 'index' ? path.basename(path.dirname(file)) : stem)) };
}

/** `@org/pkg/sub` -> `@org/pkg`, `pkg/sub` -> `pkg`. */
function packageName(request: string): string {
  const parts = request.split('/');
  return request.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** A registry scope from a package or file name: `@org/pkg` -> `pkg`, other characters -> `_`. */
function scopeName(name: string): string {
  const bare = name.replace(/^@[^/]+\//, '').replace(/[^\w-]/g, '_');
  return /^[A-Za-z_]/.test(bare) ? bare : `_${bare}`;
}
