import { z } from 'zod';
import { FileError, UserError } from '../core/errors';
import type { HostTensor } from '../core/host-tensor';
import { quoted } from './quote';

/**
 * Renaming checkpoint keys between layouts, as plain data so that a config can carry it:
 *
 *   { strip: ['module.'], rules: [{ from: 'stage2.', to: 'backbone.stage2.' }, { from: 'classifier.', to: null }] }
 *
 * For every key, each `strip` prefix is removed once if present (in list order), then the first
 * rule whose `from` is a prefix of the key replaces that prefix with `to` (`from: ''` matches
 * every key; `to: null` drops the key). Keys that no rule matches keep their name. Two keys that
 * end up with the same name are an error, never a silent overwrite.
 */
export interface KeyMapRule {
  from: string;
  /** Replacement prefix, or null to drop the key. */
  to: string | null;
}

export interface KeyMap {
  strip?: readonly string[];
  rules?: readonly KeyMapRule[];
}

export const keyMapRuleSchema = z.object({ from: z.string(), to: z.string().nullable() }).strict();
export const keyMapSchema = z.object({ strip: z.array(z.string()).optional(), rules: z.array(keyMapRuleSchema).optional() }).strict();

/** The new name of `key`, or null when the map drops it. */
export function mapKey(key: string, map: KeyMap | readonly KeyMapRule[]): string | null {
  const { strip = [], rules = [] } = Array.isArray(map) ? { rules: map as readonly KeyMapRule[] } : (map as KeyMap);
  let k = key;
  for (const p of strip) if (p && k.startsWith(p)) k = k.slice(p.length);
  const rule = rules.find((r) => k.startsWith(r.from));
  if (!rule) return k;
  return rule.to === null ? null : rule.to + k.slice(rule.from.length);
}

/** Apply `map` to every key of `dict` (order kept). `file` names the checkpoint in errors. */
export function applyKeyMap<T = HostTensor>(dict: ReadonlyMap<string, T>, map: KeyMap | readonly KeyMapRule[], file?: string): Map<string, T> {
  const out = new Map<string, T>();
  const origin = new Map<string, string>();
  for (const [key, v] of dict) {
    const k = mapKey(key, map);
    if (k === null) continue;
    const first = origin.get(k);
    if (first !== undefined) {
      const msg = `key map renames both ${quoted(first)} and ${quoted(key)} to ${quoted(k)}`;
      throw file ? new FileError(file, msg) : new UserError(msg);
    }
    origin.set(k, key);
    out.set(k, v);
  }
  return out;
}
