import { ConfigError } from '../core/errors';
import { describe } from '../registry/build-context';
import {
  CFG_OPTIONS_SOURCE,
  clearSources,
  cloneConfig,
  displayPath,
  isPlainObject,
  recordSources,
  type ConfigObject,
  type ConfigSources,
} from './config-tree';

/** Parsed `--cfg-options`: dotted key to value, in the order given (a later key wins). */
export type CfgOptions = Record<string, unknown>;

/**
 * Parse `--cfg-options key=value ...` as mmengine's DictAction does: values become numbers,
 * booleans (`true`/`false`, any case), null (`None` or `null`), lists (`[1,2]`, `a,b`) and
 * nested lists/tuples (`[(1,2),[3,4]]`; tuples become lists). Unlike mmengine, a quoted value
 * (`'1'`, `"a, b"`) is always one string, spaces inside it kept.
 */
export function parseCfgOptions(items: readonly string[]): CfgOptions {
  const out: CfgOptions = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq < 0) throw syntaxError('', `expected key=value, got '${item}'`);
    const key = item.slice(0, eq).trim();
    if (!/^[^.\s=]+(\.[^.\s=]+)*$/.test(key)) {
      throw syntaxError('', `bad key '${key}' in '${item}': expected a dotted path such as model.backbone.depth`);
    }
    out[key] = parseCfgValue(item.slice(eq + 1), key);
  }
  return out;
}

/** One `--cfg-options` value; `key` only names the option in errors. */
export function parseCfgValue(raw: string, key = ''): unknown {
  const text = raw.trim();
  const quoted = unquote(text);
  if (quoted !== null) return quoted;
  checkBalanced(text, key);
  let inner: string;
  if (isEnclosed(text, '[', ']') || isEnclosed(text, '(', ')')) inner = text.slice(1, -1);
  else if (splitTopLevel(text).length > 1 || text.endsWith(',')) inner = text;
  else return parseScalar(text);
  return splitTopLevel(inner).map((part) => parseCfgValue(part, key));
}

function parseScalar(s: string): unknown {
  // Python's int() and float() spellings, underscores included
  if (/^[+-]?(\d+(_\d+)*)$/.test(s)) return Number(s.replace(/_/g, ''));
  if (/^[+-]?((\d+(_\d+)*)?\.\d+(_\d+)*|\d+(_\d+)*\.?)([eE][+-]?\d+)?$/.test(s)) return Number(s.replace(/_/g, ''));
  const lower = s.toLowerCase();
  if (lower === 'true' || lower === 'false') return lower === 'true';
  if (s === 'None' || s === 'null') return null;
  return s;
}

/** The contents of a string wholly in matching quotes, or null. */
function unquote(s: string): string | null {
  const q = s[0];
  if (s.length < 2 || (q !== '"' && q !== "'")) return null;
  return s.indexOf(q, 1) === s.length - 1 ? s.slice(1, -1) : null;
}

/** `[...]` or `(...)` whose opening bracket closes at the very end (not `[1],[2]`). */
function isEnclosed(s: string, open: string, close: string): boolean {
  if (!s.startsWith(open) || !s.endsWith(close)) return false;
  let depth = 0;
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') {
      depth--;
      if (depth === 0 && i < s.length - 1) return false;
    }
  }
  return true;
}

/** Elements separated by commas outside brackets and quotes; a trailing comma ends the list. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  const last = s.slice(start);
  if (last.trim() || parts.length === 0) parts.push(last);
  return parts.length === 1 && !parts[0].trim() ? [] : parts;
}

function checkBalanced(s: string, key: string): void {
  const stack: string[] = [];
  let quote = '';
  for (const c of s) {
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '(') stack.push(c === '[' ? ']' : ')');
    else if (c === ']' || c === ')') {
      if (stack.pop() !== c) throw syntaxError(key, `unbalanced '${c}' in '${s}'`);
    }
  }
  if (quote) throw syntaxError(key, `unclosed ${quote} quote in '${s}'`);
  if (stack.length) throw syntaxError(key, `unclosed '${stack[stack.length - 1] === ']' ? '[' : '('}' in '${s}'`);
}

function syntaxError(key: string, detail: string): ConfigError {
  return new ConfigError(key, detail, CFG_OPTIONS_SOURCE);
}

/**
 * Apply parsed (or raw `key=value`) options to a copy of `cfg`. Missing object keys are
 * created; numeric parts index lists (`train_pipeline.1.scale=...`) and must be in range.
 * Errors name `file`, the config path and the option.
 */
export function applyCfgOptions(
  cfg: ConfigObject,
  options: CfgOptions | readonly string[],
  ctx: { file?: string; sources?: ConfigSources } = {},
): ConfigObject {
  const parsed = Array.isArray(options) ? parseCfgOptions(options as readonly string[]) : (options as CfgOptions);
  const out = cloneConfig(cfg);
  for (const [key, value] of Object.entries(parsed)) setOption(out, key, value, ctx);
  return out;
}

function setOption(root: ConfigObject, key: string, value: unknown, ctx: { file?: string; sources?: ConfigSources }): void {
  const parts = key.split('.');
  const file = ctx.file ? displayPath(ctx.file) : undefined;
  let node: unknown = root;
  for (let i = 0; i < parts.length; i++) {
    const here = parts.slice(0, i).join('.');
    const last = i === parts.length - 1;
    let slot: string | number = parts[i];
    if (Array.isArray(node)) {
      slot = listIndex(node, parts[i], here, key, file);
    } else if (!isPlainObject(node)) {
      throw new ConfigError(here, `--cfg-options ${key}: cannot set '${parts[i]}' inside ${describe(node)}`, file);
    }
    const container = node as Record<string | number, unknown>;
    if (last) {
      container[slot] = cloneConfig(value);
    } else if (container[slot] === undefined || container[slot] === null) {
      container[slot] = {};
    }
    node = container[slot];
  }
  if (ctx.sources) {
    clearSources(ctx.sources, key);
    recordSources(ctx.sources, key, value, CFG_OPTIONS_SOURCE);
  }
}

function listIndex(list: unknown[], part: string, here: string, key: string, file: string | undefined): number {
  if (!/^\d+$/.test(part)) {
    const detail = `this is a list of ${list.length}, expected an index 0..${list.length - 1} instead of '${part}'`;
    throw new ConfigError(here, `--cfg-options ${key}: ${detail}`, file);
  }
  const index = Number(part);
  if (index >= list.length) {
    throw new ConfigError(`${here}.${part}`, `--cfg-options ${key}: index ${index} is past the end of the list (${list.length} items)`, file);
  }
  return index;
}
