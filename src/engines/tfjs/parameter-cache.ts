import * as tf from '@tensorflow/tfjs-core';
import type { Parameter } from '../../core/parameter';

interface Entry {
  version: number;
  v: tf.Variable;
  bytes: number;
  /** Engine-side value is authoritative (trained or assigned): never evicted. */
  pinned: boolean;
  /** Values derived from the current one for inference (a conv filter in tfjs's layout). */
  derived?: Map<string, tf.Tensor>;
}

const DEFAULT_LIMIT_MB = 1536;

/**
 * The engine copies of parameters, shared by every TfjsEngine (they all live on tfjs's one
 * active backend). tfjs memory is not garbage-collected, and the wasm heap is capped at a few
 * GiB, so copies used only for inference are kept least-recently-used within a byte budget
 * (`HRDET_TFJS_PARAM_CACHE_MB`, default 1536): building many models in one process cannot
 * exhaust the backend. A value fetched for an op is the most recently used one, so eviction
 * never reaches a copy an op is about to read.
 */
export class ParameterCache {
  private readonly entries = new Map<Parameter, Entry>();
  private unpinnedBytes = 0;

  constructor(private readonly limitBytes = limitFromEnv()) {}

  /** The variable holding `p`'s current host value (uploaded or refreshed as needed). */
  get(p: Parameter, upload: () => tf.Tensor, pin = false): tf.Variable {
    let e = this.entries.get(p);
    if (e) {
      this.entries.delete(p); // re-insert: Map order is the LRU order
      this.entries.set(p, e);
      if (e.version !== p.version) {
        const value = upload();
        e.v.assign(value);
        value.dispose();
        e.version = p.version;
        disposeDerived(e);
      }
    } else {
      const value = upload();
      const v = tf.variable(value, p.requiresGrad, undefined, value.dtype);
      value.dispose();
      e = { version: p.version, v, bytes: v.size * 4, pinned: false };
      this.entries.set(p, e);
      this.unpinnedBytes += e.bytes;
    }
    if (pin) this.pin(e);
    this.evict();
    return e.v;
  }

  peek(p: Parameter): Entry | undefined {
    return this.entries.get(p);
  }

  /**
   * A value computed from `p`'s current engine copy and kept with it (dropped when the
   * value changes or the entry is evicted). Only for inference: it is cut from the tape.
   */
  derived(p: Parameter, key: string, make: (v: tf.Variable) => tf.Tensor): tf.Tensor | null {
    const e = this.entries.get(p);
    if (!e || e.pinned || e.version !== p.version) return null;
    e.derived ??= new Map();
    let t = e.derived.get(key);
    if (!t) {
      t = tf.keep(tf.tidy(() => make(e.v)));
      e.derived.set(key, t);
      this.unpinnedBytes += t.size * 4;
      e.bytes += t.size * 4;
    }
    return t;
  }

  drop(p: Parameter): void {
    const e = this.entries.get(p);
    if (!e) return;
    if (!e.pinned) this.unpinnedBytes -= e.bytes;
    disposeDerived(e);
    e.v.dispose();
    this.entries.delete(p);
  }

  private pin(e: Entry): void {
    if (e.pinned) return;
    e.pinned = true;
    this.unpinnedBytes -= e.bytes;
  }

  private evict(): void {
    if (this.unpinnedBytes <= this.limitBytes) return;
    for (const [p, e] of this.entries) {
      if (this.unpinnedBytes <= this.limitBytes) break;
      if (e.pinned) continue;
      this.drop(p);
    }
  }
}

function disposeDerived(e: Entry): void {
  if (!e.derived) return;
  for (const t of e.derived.values()) {
    t.dispose();
    e.bytes -= t.size * 4;
  }
  e.derived = undefined;
}

function limitFromEnv(): number {
  const mb = Number(process.env.HRDET_TFJS_PARAM_CACHE_MB ?? DEFAULT_LIMIT_MB);
  return (Number.isFinite(mb) && mb > 0 ? mb : DEFAULT_LIMIT_MB) * 2 ** 20;
}

let shared: ParameterCache | null = null;

export function parameterCache(): ParameterCache {
  if (!shared) shared = new ParameterCache();
  return shared;
}
