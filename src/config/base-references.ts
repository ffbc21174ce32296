import * as path from 'node:path';
import { ConfigError } from '../core/errors';
import { closest } from '../core/closest';
import { cloneConfig, displayPath, isPlainObject, joinPath, BASE_KEY, type ConfigObject } from './config-tree';

/**
 * mmengine's `{{_base_.a.b}}`: a value of a base config, written as a whole value in a JSON
 * or YAML file (quoted or not) and replaced by that value, whatever its type. Before parsing,
 * each reference becomes a marker that is valid inside and outside strings; after the bases
 * are merged, values equal to a marker are substituted.
 */
const REFERENCE = /\{\{\s*_base_\.([\w.]+)\s*\}\}/g;
const REFERENCE_HERE = /\{\{\s*_base_\.([\w.]+)\s*\}\}/y;
const MARKER = /__hrdet_base_ref\(([\w.]+)\)__/g;
const WHOLE_REFERENCE = /^\s*(?:\{\{\s*_base_\.([\w.]+)\s*\}\}|__hrdet_base_ref\(([\w.]+)\)__)\s*$/;

const marker = (ref: string) => `__hrdet_base_ref(${ref})__`;

/** Replace references in JSON text: outside strings they become quoted markers. */
export function markReferencesInJson(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' && text[i + 1] === '{') {
      REFERENCE_HERE.lastIndex = i;
      const m = REFERENCE_HERE.exec(text);
      if (m) {
        out += inString ? marker(m[1]) : JSON.stringify(marker(m[1]));
        i += m[0].length - 1;
        continue;
      }
    }
    if (inString && c === '\\') {
      out += c + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    out += c;
  }
  return out;
}

/** Replace references in YAML text: the marker is a plain scalar in block and flow context. */
export function markReferencesInYaml(text: string): string {
  return text.replace(REFERENCE, (_, ref: string) => marker(ref));
}

/**
 * mmengine's predefined variables, substituted in the text of JSON and YAML files:
 * `{{ fileDirname }}`, `{{ fileBasename }}`, `{{ fileBasenameNoExtension }}`, `{{ fileExtname }}`.
 */
export function substitutePredefined(text: string, file: string, json: boolean): string {
  const ext = path.extname(file);
  const vars: Record<string, string> = {
    fileDirname: path.dirname(file),
    fileBasename: path.basename(file),
    fileBasenameNoExtension: path.basename(file, ext),
    fileExtname: ext,
  };
  return text.replace(/\{\{\s*(fileDirname|fileBasename|fileBasenameNoExtension|fileExtname)\s*\}\}/g, (_, name: string) => {
    const value = vars[name].replace(/\\/g, '/');
    return json ? JSON.stringify(value).slice(1, -1) : value;
  });
}

/**
 * Substitute every reference in `cfg` (outside `_base_`) by a copy of the base value it names.
 * `base` is the merge of the file's bases; `hasBase` says whether the file declared any.
 */
export function substituteReferences(cfg: ConfigObject, base: ConfigObject, hasBase: boolean, file: string): ConfigObject {
  const out: ConfigObject = {};
  for (const [k, v] of Object.entries(cfg)) out[k] = k === BASE_KEY ? v : substitute(v, k, base, hasBase, file);
  return out;
}

function substitute(v: unknown, at: string, base: ConfigObject, hasBase: boolean, file: string): unknown {
  if (typeof v === 'string') return substituteString(v, at, base, hasBase, file);
  if (Array.isArray(v)) return v.map((x, i) => substitute(x, joinPath(at, i), base, hasBase, file));
  if (!isPlainObject(v)) return v;
  const out: ConfigObject = {};
  for (const [k, x] of Object.entries(v)) out[k] = substitute(x, joinPath(at, k), base, hasBase, file);
  return out;
}

function substituteString(s: string, at: string, base: ConfigObject, hasBase: boolean, file: string): unknown {
  const whole = WHOLE_REFERENCE.exec(s);
  if (whole) {
    const ref = whole[1] ?? whole[2];
    if (!hasBase) throw new ConfigError(at, `{{_base_.${ref}}} refers to a base config, but this file has no _base_`, displayPath(file));
    return cloneConfig(lookup(base, ref, at, file));
  }
  const partial = s.match(MARKER) ?? s.match(REFERENCE);
  if (partial) {
    const ref = partial[0].replace(MARKER, '{{_base_.$1}}');
    throw new ConfigError(at, `${ref} must be the whole value, not part of the string '${s.replace(MARKER, '{{_base_.$1}}')}'`, displayPath(file));
  }
  return s;
}

function lookup(base: ConfigObject, ref: string, at: string, file: string): unknown {
  let node: unknown = base;
  const parts = ref.split('.');
  for (let i = 0; i < parts.length; i++) {
    const key = parts[i];
    const where = parts.slice(0, i).join('.');
    if (Array.isArray(node) && /^\d+$/.test(key) && Number(key) < node.length) {
      node = node[Number(key)];
    } else if (isPlainObject(node) && key in node) {
      node = node[key];
    } else {
      const near = isPlainObject(node) ? closest(key, Object.keys(node), 1) : [];
      const hint = near.length ? `; did you mean '${joinPath(where, near[0])}'?` : '';
      throw new ConfigError(at, `{{_base_.${ref}}}: the base config has no '${joinPath(where, key)}'${hint}`, displayPath(file));
    }
  }
  return node;
}
