import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import Module, { createRequire, isBuiltin } from 'node:module';
import { ConfigError } from '../core/errors';
import { withRegistrationScope } from '../registry/registry';
import { displayPath } from './config-tree';

/**
 * Loads JS and TS modules written by users (config files and plugins). TypeScript and ES-module
 * syntax are compiled to CommonJS with the `typescript` package's transpileModule; the code then
 * runs with a `require` that
 *   - resolves `hrdet` and `hrdet/<path>` to this very copy of hrdet, so a plugin registers into
 *     the registries hrdet builds from, even when another copy of hrdet is installed next to it;
 *   - loads the user's own relative imports (`./blocks`, resolving to .ts files too) the same way;
 *   - leaves packages and Node built-ins to Node.
 * Loaded modules live in Node's require cache, so a module is evaluated once however it is reached.
 */

const TS_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts'];
const SCRIPT_EXTENSIONS = [...TS_EXTENSIONS, '.js', '.cjs', '.mjs'];
const RESOLVE_EXTENSIONS = [...SCRIPT_EXTENSIONS, '.json'];

/** hrdet's compiled source root (dist/src, or src when run from sources) and package root. */
const SRC_ROOT = path.resolve(__dirname, '..');
export const PACKAGE_ROOT = findPackageRoot(SRC_ROOT);

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'hrdet') return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..');
  }
}

type NodeModule = Module & { paths: string[]; loaded: boolean; filename: string };
const moduleStatics = Module as unknown as {
  _cache: Record<string, NodeModule | undefined>;
  _nodeModulePaths(dir: string): string[];
};

/**
 * The exports of a user module. `fresh` evaluates it again even when cached (a config file is
 * read anew on every load; a plugin is not).
 */
export function loadUserModule(file: string, opts: { fresh?: boolean } = {}): unknown {
  const filename = fs.realpathSync(file);
  const cached = moduleStatics._cache[filename];
  if (cached && !opts.fresh) return cached.exports;
  if (path.extname(filename) === '.json') return JSON.parse(fs.readFileSync(filename, 'utf8'));
  const mod = new Module(filename) as NodeModule;
  mod.filename = filename;
  mod.paths = moduleStatics._nodeModulePaths(path.dirname(filename));
  moduleStatics._cache[filename] = mod;
  try {
    const code = compile(fs.readFileSync(filename, 'utf8').replace(/^#!.*/, ''), filename);
    const fn = vm.compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname'], { filename });
    const req = makeRequire(filename);
    mod.require = req;
    fn.call(mod.exports, mod.exports, req, mod, filename, path.dirname(filename));
  } catch (e) {
    // as Node does: a module that failed is not cached, so fixing it and loading again works
    delete moduleStatics._cache[filename];
    throw e;
  }
  mod.loaded = true;
  return mod.exports;
}

/** Whether `file` is a JS/TS module this loader evaluates. */
export function isScriptFile(file: string): boolean {
  return SCRIPT_EXTENSIONS.includes(path.extname(file));
}

/** CommonJS code for TS or ES-module source; plain CommonJS passes through untouched. */
function compile(source: string, filename: string): string {
  const ext = path.extname(filename);
  const esm = /^\s*(import\s*[\w{*'"]|export\s)/m.test(source);
  if (!TS_EXTENSIONS.includes(ext) && ext !== '.mjs' && !esm) return source;
  // loaded on demand: most runs never see a TypeScript file
  const ts: typeof import('typescript') = require('typescript');
  const out = ts.transpileModule(source, {
    // .mts/.mjs names would make TypeScript keep ES module syntax whatever `module` says
    fileName: filename.replace(/\.m([jt]s)$|\.c([jt]s)$/, '.$1$2'),
    reportDiagnostics: true,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      experimentalDecorators: true,
      jsx: ts.JsxEmit.React,
    },
  });
  const diag = out.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (diag) {
    const where = diag.file && diag.start !== undefined ? diag.file.getLineAndCharacterOfPosition(diag.start) : null;
    const at = where ? `line ${where.line + 1}, column ${where.character + 1}: ` : '';
    throw new ConfigError('', `${at}syntax error: ${ts.flattenDiagnosticMessageText(diag.messageText, ' ')}`, displayPath(filename));
  }
  return out.outputText;
}

function isPathRequest(request: string): boolean {
  return request.startsWith('./') || request.startsWith('../') || request === '.' || request === '..' || path.isAbsolute(request);
}

/** The `require` a user module runs with. */
function makeRequire(fromFile: string): NodeJS.Require {
  const native = createRequire(fromFile);
  const dir = path.dirname(fromFile);
  const resolve = (request: string): string => {
    if (isHrdetRequest(request)) return resolveHrdet(request);
    if (isPathRequest(request)) return resolveLocalFile(path.resolve(dir, request), request, fromFile);
    return native.resolve(request);
  };
  const req = ((request: string): unknown => {
    if (isHrdetRequest(request)) return requireHrdet(request);
    if (isBuiltin(request) || !isPathRequest(request)) return native(request);
    const target = resolveLocalFile(path.resolve(dir, request), request, fromFile);
    if (!isScriptFile(target) && path.extname(target) !== '.json') return native(target);
    return loadUserModule(target);
  }) as NodeJS.Require;
  req.resolve = Object.assign(resolve, { paths: native.resolve.paths }) as NodeJS.RequireResolve;
  req.cache = native.cache;
  req.main = native.main;
  req.extensions = native.extensions;
  return req;
}

/**
 * A file for a path request: as given, with a script extension added, with `.js` swapped
 * for `.ts` (TypeScript's own import style), or a directory's package main or index.
 */
export function resolveLocalFile(base: string, request: string, fromFile?: string): string {
  const candidates = [base, ...RESOLVE_EXTENSIONS.map((e) => base + e)];
  const swapped = base.replace(/\.(m|c)?js$/, '.$1ts');
  if (swapped !== base) candidates.push(swapped);
  for (const c of candidates) if (isFile(c)) return c;
  if (isDirectory(base)) {
    const pkg = path.join(base, 'package.json');
    const main = isFile(pkg) ? (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { main?: string }).main : undefined;
    const entries = [...(main ? [path.resolve(base, main), ...RESOLVE_EXTENSIONS.map((e) => path.resolve(base, main) + e)] : [])];
    entries.push(...RESOLVE_EXTENSIONS.map((e) => path.join(base, `index${e}`)));
    for (const c of entries) if (isFile(c)) return c;
  }
  const err = new Error(`Cannot find module '${request}'${fromFile ? ` from '${fromFile}'` : ''}`) as NodeJS.ErrnoException;
  err.code = 'MODULE_NOT_FOUND';
  throw err;
}

function isFile(p: string): boolean {
  return fs.statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
}

function isDirectory(p: string): boolean {
  return fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

function isHrdetRequest(request: string): boolean {
  return request === 'hrdet' || request.startsWith('hrdet/');
}

/** `hrdet` is hrdet's index; `hrdet/x` is the package's file x, else the source module x. */
function resolveHrdet(request: string): string {
  if (request === 'hrdet') return require.resolve(path.join(SRC_ROOT, 'index'));
  const sub = request.slice('hrdet/'.length);
  for (const root of [PACKAGE_ROOT, SRC_ROOT]) {
    try {
      return require.resolve(path.join(root, sub));
    } catch {
      // try the next root
    }
  }
  const err = new Error(`Cannot find module '${request}': hrdet has no '${sub}'`) as NodeJS.ErrnoException;
  err.code = 'MODULE_NOT_FOUND';
  throw err;
}

/**
 * hrdet's own modules register their components as built-ins even when a plugin is the first
 * to load them, so they are required outside the plugin's registration scope.
 */
function requireHrdet(request: string): unknown {
  const target = resolveHrdet(request);
  return withRegistrationScope(null, () => require(target));
}
