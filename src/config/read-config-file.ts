import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { ConfigError, UserError } from '../core/errors';
import { describe } from '../registry/build-context';
import { markReferencesInJson, markReferencesInYaml, substitutePredefined } from './base-references';
import { BASE_KEY, displayPath, isPlainObject, type ConfigObject } from './config-tree';
import type { ConfigFunctionContext } from './define-config';
import { locateJsonError } from './json-error';
import { isScriptFile, loadUserModule } from './module-loader';

/** YAML 1.2 core scalars (`yes` is a string) plus `<<` merge keys, which YAML configs use to share blocks. */
const YAML_SCHEMA = yaml.CORE_SCHEMA.withTags(yaml.mergeTag);

export const CONFIG_EXTENSIONS = ['.json', '.yaml', '.yml', '.js', '.cjs', '.mjs', '.ts', '.cts', '.mts'];

export type ConfigFunction = (ctx: ConfigFunctionContext) => unknown;

/** A config file's own content: data, or (JS/TS) a function of its bases. */
export type RawConfig =
  | { kind: 'data'; data: ConfigObject }
  | { kind: 'function'; fn: ConfigFunction; base: unknown };

export function readConfigFile(file: string): RawConfig {
  const ext = path.extname(file).toLowerCase();
  if (!CONFIG_EXTENSIONS.includes(ext)) {
    const detail = `unsupported config format '${ext || path.basename(file)}': expected one of ${CONFIG_EXTENSIONS.join(', ')}`;
    throw new ConfigError('', detail, displayPath(file));
  }
  if (isScriptFile(file)) return readModule(file);
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const data = ext === '.json' ? parseJson(text, file) : parseYaml(text, file);
  return { kind: 'data', data: topLevelMapping(data, file) };
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(markReferencesInJson(substitutePredefined(text, file, true)));
  } catch (e) {
    const where = locateJsonError(text);
    const detail = where ? `line ${where.line}, column ${where.column}: ${where.reason}` : (e as Error).message;
    throw new ConfigError('', `invalid JSON at ${detail}`, displayPath(file));
  }
}

function parseYaml(text: string, file: string): unknown {
  if (!text.replace(/#.*$/gm, '').trim()) return {};
  try {
    return yaml.load(markReferencesInYaml(substitutePredefined(text, file, false)), { filename: file, schema: YAML_SCHEMA });
  } catch (e) {
    const err = e as yaml.YAMLException;
    if (!(err instanceof yaml.YAMLException)) throw e;
    const at = err.mark ? ` at line ${err.mark.line + 1}, column ${err.mark.column + 1}` : '';
    throw new ConfigError('', `invalid YAML${at}: ${err.reason}`, displayPath(file));
  }
}

function topLevelMapping(data: unknown, file: string): ConfigObject {
  if (!isPlainObject(data)) {
    throw new ConfigError('', `expected a mapping of config keys at the top level, got ${describe(data)}`, displayPath(file));
  }
  return data;
}

/**
 * A JS/TS config: its default export (or `module.exports`), an object or a function returning
 * one. A function receives the merge of the bases named by the module's `export const _base_`.
 */
function readModule(file: string): RawConfig {
  let exports: unknown;
  try {
    exports = loadUserModule(file, { fresh: true });
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new ConfigError('', `failed to evaluate the config module: ${oneLine(e)}`, displayPath(file));
  }
  const mod = exports as { default?: unknown; __esModule?: boolean; _base_?: unknown };
  const value = mod && typeof mod === 'object' && 'default' in mod ? mod.default : exports;
  if (typeof value === 'function') return { kind: 'function', fn: value as ConfigFunction, base: mod?.[BASE_KEY] };
  return { kind: 'data', data: moduleConfig(value, file) };
}

/** A module's config object, checked to be one. */
export function moduleConfig(value: unknown, file: string): ConfigObject {
  if (!isPlainObject(value)) {
    throw new ConfigError('', `expected the module to export a config object or a function returning one, got ${describe(value)}`, displayPath(file));
  }
  return value;
}

/** An error's message on one line, prefixed with its class name unless it is a plain Error. */
export function oneLine(e: unknown): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const name = err.name && err.name !== 'Error' ? `${err.name}: ` : '';
  return `${name}${err.message}`.replace(/\s*\n\s*/g, ' ').trim();
}
