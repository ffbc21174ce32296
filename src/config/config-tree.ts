import * as path from 'node:path';

/** A config as plain data: the merged result of a file and its bases. */
export type ConfigObject = Record<string, unknown>;

/** Where each dotted config path was last set: a file's absolute path, or `--cfg-options`. */
export type ConfigSources = Map<string, string>;

export const BASE_KEY = '_base_';
export const DELETE_KEY = '_delete_';
export const CFG_OPTIONS_SOURCE = '--cfg-options';

/** Plain objects only: class instances a JS config may hold are values, not sections to merge. */
export function isPlainObject(v: unknown): v is ConfigObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Deep copy of objects and lists, so a merged config never aliases a file's (or a module's) data. */
export function cloneConfig<T>(v: T): T {
  if (Array.isArray(v)) return v.map(cloneConfig) as T;
  if (isPlainObject(v)) {
    const out: ConfigObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = cloneConfig(x);
    return out as T;
  }
  return v;
}

export function joinPath(prefix: string, key: string | number): string {
  return prefix ? `${prefix}.${key}` : String(key);
}

/** Forget the sources of `p` and everything below it (it is about to be replaced). */
export function clearSources(sources: ConfigSources, p: string): void {
  for (const k of [...sources.keys()]) if (k === p || k.startsWith(`${p}.`)) sources.delete(k);
}

/** Record `file` as the source of `value` at `p` and of every path inside it. */
export function recordSources(sources: ConfigSources, p: string, value: unknown, file: string): void {
  sources.set(p, file);
  if (Array.isArray(value)) value.forEach((x, i) => recordSources(sources, joinPath(p, i), x, file));
  else if (isPlainObject(value)) for (const [k, x] of Object.entries(value)) recordSources(sources, joinPath(p, k), x, file);
}

/** The file that set `configPath` or, failing that, its nearest ancestor; `fallback` otherwise. */
export function sourceOf(sources: ConfigSources, configPath: string, fallback: string): string {
  const parts = configPath ? configPath.split('.') : [];
  for (let n = parts.length; n > 0; n--) {
    const hit = sources.get(parts.slice(0, n).join('.'));
    if (hit) return hit;
  }
  return fallback;
}

/** How a file is named in messages: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  if (!path.isAbsolute(file)) return file;
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** The value at a dotted path (list items by index), or `undefined`. */
export function getAt(cfg: unknown, dotted: string): unknown {
  let node = cfg;
  for (const key of dotted ? dotted.split('.') : []) {
    if (Array.isArray(node) && /^\d+$/.test(key)) node = node[Number(key)];
    else if (isPlainObject(node)) node = node[key];
    else return undefined;
  }
  return node;
}
