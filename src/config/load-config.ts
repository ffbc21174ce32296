import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, UserError } from '../core/errors';
import { describe } from '../registry/build-context';
import { substituteReferences } from './base-references';
import { applyCfgOptions, type CfgOptions } from './cfg-options';
import { BASE_KEY, cloneConfig, displayPath, joinPath, type ConfigObject, type ConfigSources } from './config-tree';
import { mergeConfig } from './merge';
import { PACKAGE_ROOT } from './module-loader';
import { moduleConfig, oneLine, readConfigFile, type RawConfig } from './read-config-file';

export interface LoadedConfig {
  /** The merged config, plain data: `_base_` resolved, `_delete_` markers gone, options applied. */
  config: ConfigObject;
  /** Absolute paths of the files it came from: the file itself first, then its bases depth-first. */
  files: string[];
  /** Which file (absolute path, or `--cfg-options`) last set each dotted path. */
  sources: ConfigSources;
}

export interface LoadConfigOptions {
  /** `--cfg-options` as `key=value` strings or already parsed. */
  cfgOptions?: readonly string[] | CfgOptions;
}

/**
 * Load a config file (JSON, YAML, JS or TS) with mmengine's inheritance: `_base_` files (one
 * path or a list, relative to the including file, or `hrdet::<path>` for a shipped config) are
 * merged first, in order, then the file's own keys over them. Plugins named in the config
 * are not loaded here (see loadPlugins), so loading has no side effects on the registries.
 */
export function loadConfig(file: string, opts: LoadConfigOptions = {}): LoadedConfig {
  if (!fs.existsSync(file)) throw new ConfigError('', 'no such config file', displayPath(path.resolve(file)));
  const abs = fs.realpathSync(path.resolve(file));
  const state: LoadState = { chain: [], files: [] };
  const { config, sources } = loadFile(abs, state);
  const merged = opts.cfgOptions ? applyCfgOptions(config, opts.cfgOptions, { file: abs, sources }) : config;
  const loaded = { config: merged, files: state.files, sources };
  origins.set(merged, loaded);
  return loaded;
}

/** Loaded configs by their config object, so that a caller holding only `config` still learns where each entry came from. */
const origins = new WeakMap<object, LoadedConfig>();

/** How `config` was loaded, when loadConfig returned it. */
export function loadedConfigOf(config: object): LoadedConfig | undefined {
  return origins.get(config);
}

interface LoadState {
  /** Files being loaded, outermost first: a file met again here is a cycle. */
  chain: string[];
  files: string[];
}

interface Merged {
  config: ConfigObject;
  sources: ConfigSources;
}

function loadFile(file: string, state: LoadState): Merged {
  state.chain.push(file);
  if (!state.files.includes(file)) state.files.push(file);
  try {
    const raw = readConfigFile(file);
    const baseSpec = raw.kind === 'data' ? raw.data[BASE_KEY] : raw.base;
    let bases = loadBases(baseSpec, file, state);
    let own = evaluate(raw, bases, file);
    if (raw.kind === 'function' && baseSpec === undefined && own[BASE_KEY] !== undefined) {
      // a config function that returns its _base_ gets an empty `base`; its bases merge under it all the same
      bases = loadBases(own[BASE_KEY], file, state);
    }
    const hasBase = bases !== null;
    own = substituteReferences(own, bases?.config ?? {}, hasBase, file);
    delete own[BASE_KEY];
    const sources: ConfigSources = new Map(bases?.sources ?? []);
    return { config: mergeConfig(bases?.config ?? {}, own, file, sources), sources };
  } finally {
    state.chain.pop();
  }
}

function evaluate(raw: RawConfig, bases: Merged | null, file: string): ConfigObject {
  if (raw.kind === 'data') return { ...raw.data };
  let value: unknown;
  try {
    value = raw.fn({ base: cloneConfig(bases?.config ?? {}), file, dirname: path.dirname(file) });
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new ConfigError('', `the config function failed: ${oneLine(e)}`, displayPath(file));
  }
  const cfg = { ...moduleConfig(value, file) };
  if (raw.base !== undefined && cfg[BASE_KEY] !== undefined) {
    throw new ConfigError(BASE_KEY, 'is given both as `export const _base_` and in the returned config; keep one', displayPath(file));
  }
  return cfg;
}

/** The merge of the files `_base_` names, or null when it names none. */
function loadBases(spec: unknown, file: string, state: LoadState): Merged | null {
  if (spec === undefined || spec === null) return null;
  const list = typeof spec === 'string' ? [spec] : spec;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError(BASE_KEY, `expected a config file path or a list of them, got ${describe(spec)}`, displayPath(file));
  }
  const merged: Merged = { config: {}, sources: new Map() };
  const owner = new Map<string, string>(); // top-level key -> the base file that brought it
  list.forEach((entry, i) => {
    const at = typeof spec === 'string' ? BASE_KEY : joinPath(BASE_KEY, i);
    const baseFile = resolveBase(entry, at, file);
    if (state.chain.includes(baseFile)) {
      const cycle = [...state.chain.slice(state.chain.indexOf(baseFile)), baseFile].map(displayPath).join(' -> ');
      throw new ConfigError(at, `circular _base_ chain: ${cycle}`, displayPath(file));
    }
    const base = loadFile(baseFile, state);
    for (const key of Object.keys(base.config)) {
      const first = owner.get(key);
      if (first) {
        throw new ConfigError(
          at,
          `'${key}' is defined by both ${displayPath(first)} and ${displayPath(baseFile)}; the files a _base_ lists must not share top-level keys`,
          displayPath(file),
        );
      }
      owner.set(key, baseFile);
    }
    Object.assign(merged.config, base.config);
    for (const [k, v] of base.sources) merged.sources.set(k, v);
  });
  return merged;
}

function resolveBase(entry: unknown, at: string, file: string): string {
  if (typeof entry !== 'string' || !entry) {
    throw new ConfigError(at, `expected a config file path, got ${describe(entry)}`, displayPath(file));
  }
  const shipped = entry.startsWith('hrdet::');
  const target = shipped ? path.join(PACKAGE_ROOT, 'configs', entry.slice('hrdet::'.length)) : path.resolve(path.dirname(file), entry);
  if (!fs.existsSync(target)) {
    throw new ConfigError(at, `no such file '${entry}' (looked for ${displayPath(target)})`, displayPath(file));
  }
  return fs.realpathSync(target);
}

