import { ConfigError } from '../core/errors';
import { describe } from '../registry/build-context';
import {
  clearSources,
  cloneConfig,
  DELETE_KEY,
  displayPath,
  isPlainObject,
  joinPath,
  recordSources,
  type ConfigObject,
  type ConfigSources,
} from './config-tree';

/**
 * Merge `child` over `base` with mmengine's rules: objects merge key by key, everything else
 * (lists included) replaces, and `_delete_: true` in a child object replaces the base object
 * instead of merging into it. `sources` is updated to say which file set each path.
 *
 * One deliberate difference from mmengine: an object may replace a base `null` without
 * `_delete_` (mmdetection configs use `init_cfg=None` as "unset").
 */
export function mergeConfig(base: ConfigObject, child: ConfigObject, file: string, sources: ConfigSources): ConfigObject {
  return mergeInto(base, child, '', file, sources);
}

function mergeInto(base: ConfigObject, child: ConfigObject, prefix: string, file: string, sources: ConfigSources): ConfigObject {
  const out: ConfigObject = { ...base };
  for (const [key, value] of Object.entries(child)) {
    if (key === DELETE_KEY || value === undefined) continue;
    const p = joinPath(prefix, key);
    const old = out[key];
    if (isPlainObject(value) && !deleteFlag(value, p, file) && old !== undefined && old !== null) {
      if (!isPlainObject(old)) {
        const from = sources.get(p);
        throw new ConfigError(
          p,
          `an object cannot be merged into ${describe(old)}${from ? ` (set in ${displayPath(from)})` : ''}; add "_delete_": true to replace it`,
          displayPath(file),
        );
      }
      out[key] = mergeInto(old, value, p, file, sources);
      continue;
    }
    clearSources(sources, p);
    out[key] = withoutDeleteKeys(value, p, file);
    recordSources(sources, p, out[key], file);
  }
  return out;
}

/** Whether an object asks to replace its base; anything but a boolean is an error. */
function deleteFlag(obj: ConfigObject, p: string, file: string): boolean {
  const flag = obj[DELETE_KEY];
  if (flag === undefined || typeof flag === 'boolean') return flag === true;
  throw new ConfigError(joinPath(p, DELETE_KEY), `expected true or false, got ${describe(flag)}`, displayPath(file));
}

/** A copy of `value` with every `_delete_` marker checked and removed (it has nothing left to replace). */
export function withoutDeleteKeys(value: unknown, p: string, file: string): unknown {
  if (Array.isArray(value)) return value.map((x, i) => withoutDeleteKeys(x, joinPath(p, i), file));
  if (!isPlainObject(value)) return cloneConfig(value);
  deleteFlag(value, p, file);
  const out: ConfigObject = {};
  for (const [k, x] of Object.entries(value)) {
    if (k !== DELETE_KEY && x !== undefined) out[k] = withoutDeleteKeys(x, joinPath(p, k), file);
  }
  return out;
}
