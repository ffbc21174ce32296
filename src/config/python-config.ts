import { UserError } from '../core/errors';

/**
 * A config as an mmengine Python config file (what `Config.fromfile` reads and mmdetection's
 * tools take): one `name = value` assignment per top-level key, dicts as `dict(key=value)`
 * (or `{'key': value}` when a key is not a Python identifier), lists, True/False/None,
 * single-quoted strings with Python escapes. JSON has no tuples, so lists of plain values under
 * the keys mm* writes as tuples (`scale=(1333, 800)`, `betas=(0.9, 0.999)`, `num_blocks=(4,)`,
 * ...) are written as tuples; mmcv's Resize, for one, insists on a tuple scale.
 */
export const TUPLE_KEYS = new Set([
  'scale', 'scales', 'img_scale', 'ratio_range', 'crop_size', 'input_size', 'heatmap_size', 'image_size', 'size', 'pad_size',
  'betas', 'out_indices', 'num_blocks', 'num_channels', 'strides', 'dilations', 'stage_with_dcn', 'kernel_size', 'stride',
  'padding', 'dilation', 'out_size', 'output_size', 'target_size', 'pool_scales', 'scale_factor', 'img_size',
]);

const KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else',
  'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise',
  'return', 'try', 'while', 'with', 'yield',
]);

/** Lines stay on one line up to this width. */
const WIDTH = 100;
const INDENT = '    ';

export function isIdentifier(k: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && !KEYWORDS.has(k);
}

export function formatPythonConfig(cfg: unknown): string {
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) throw new UserError('a Python config needs a config object at the top');
  const lines: string[] = [];
  for (const [k, v] of Object.entries(cfg)) {
    if (k === '_base_') continue; // bases are already merged in
    if (!isIdentifier(k)) throw new UserError(`config key '${k}' cannot be a Python variable name, so it has no place in a Python config`);
    lines.push(`${k} = ${pyValue(v, k, '', k.length + 3)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A Python expression for `v`; `key` is the dict key it sits under (for tuple keys), `indent`
 * the indentation of its line and `lead` the width of what precedes it on that line.
 */
function pyValue(v: unknown, key: string, indent: string, lead: number): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return pyNumber(v);
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return pyString(v);
  if (Array.isArray(v)) {
    if (TUPLE_KEYS.has(key) && v.every(isScalar)) return tuple(v.map((x) => pyValue(x, '', indent, 0)));
    const inner = TUPLE_KEYS.has(key) ? key : '';
    const deeper = indent + INDENT;
    return wrap('[', ']', v.map((x) => pyValue(x, inner, deeper, deeper.length)), indent, lead);
  }
  if (typeof v === 'object') {
    const entries = Object.entries(v as object).filter(([k]) => k !== '_delete_');
    const deeper = indent + INDENT;
    const item = (head: string, k: string, x: unknown) => `${head}${pyValue(x, k, deeper, deeper.length + head.length)}`;
    if (entries.every(([k]) => isIdentifier(k))) return wrap('dict(', ')', entries.map(([k, x]) => item(`${k}=`, k, x)), indent, lead);
    return wrap('{', '}', entries.map(([k, x]) => item(`${pyString(k)}: `, k, x)), indent, lead);
  }
  throw new UserError(`a config value of type ${typeof v} cannot be written as Python`);
}

function isScalar(x: unknown): boolean {
  return x === null || ['number', 'string', 'boolean'].includes(typeof x);
}

function tuple(items: string[]): string {
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/** On one line when it fits after `lead` characters (and a trailing comma), else one item per line. */
function wrap(open: string, close: string, items: string[], indent: string, lead: number): string {
  const flat = `${open}${items.join(', ')}${close}`;
  if (items.length === 0 || (lead + flat.length + 1 <= WIDTH && !flat.includes('\n'))) return flat;
  return `${open}\n${items.map((i) => `${indent}${INDENT}${i},`).join('\n')}\n${indent}${close}`;
}

function pyNumber(n: number): string {
  if (Number.isNaN(n)) return "float('nan')";
  if (!Number.isFinite(n)) return n > 0 ? "float('inf')" : "-float('inf')";
  return String(n);
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Python's repr of a str with single quotes: backslash escapes for quotes, backslashes and control characters. */
export function pyString(s: string): string {
  let out = "'";
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ESCAPES[ch]) out += ESCAPES[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += `\\u${code.toString(16)}`; // a lone surrogate: not valid UTF-8
    else out += ch;
  }
  return `${out}'`;
}
