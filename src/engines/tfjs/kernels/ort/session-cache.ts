/**
 * Single-op onnxruntime sessions, one per (op, shapes, attributes), kept in a bounded
 * least-recently-used cache. A session costs a few milliseconds to build and holds its own
 * intra-op thread pool, so the bound keeps both the start-up work and the threads in check:
 * a whole HRNet forward and backward needs well under the default bound.
 */
import * as os from 'node:os';
import { SyncSession } from './ort-binding';
import type { EncodedOpModel } from './op-model';

/** Sessions kept; the least recently used one is released past this. */
export const SESSION_CACHE_SIZE = 256;

/**
 * onnxruntime's intra-op threads: one per core. The tfjs call is synchronous, so the main
 * thread waits in `run` and takes part in the pool; no wasm work overlaps a run. Spinning is
 * off: between runs the main thread does tfjs's own elementwise work, and pool threads spinning
 * for the next run would take the cores from it.
 */
export function ortThreads(): number {
  const env = process.env.HRDET_ORT_THREADS;
  const asked = env !== undefined && env !== '' ? Number(env) : 0;
  if (!Number.isInteger(asked) || asked < 0) throw new Error(`HRDET_ORT_THREADS must be a whole number >= 0 (0 = one per CPU), got '${env}'`);
  return asked === 0 ? os.cpus().length : asked;
}

function sessionOptions(): object {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: ortThreads(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: process.env.HRDET_ORT_SPIN === '1' ? '1' : '0' } } },
  };
}

/** A built kernel model: its session, and the names and dims of its inputs and one output. */
export interface KernelSession extends Omit<EncodedOpModel, 'bytes'> {
  session: SyncSession;
}

export class SessionCache {
  private readonly sessions = new Map<string, KernelSession>();
  private built = 0;

  constructor(readonly capacity = SESSION_CACHE_SIZE) {}

  /** The session under `key`, built from `model()` on a miss. */
  get(key: string, model: () => EncodedOpModel): KernelSession {
    const hit = this.sessions.get(key);
    if (hit) {
      // re-insert: Map iteration order is insertion order, so the first key is the least recent
      this.sessions.delete(key);
      this.sessions.set(key, hit);
      return hit;
    }
    const { bytes, ...names } = model();
    const entry = { ...names, session: new SyncSession(bytes, sessionOptions()) };
    this.built++;
    this.sessions.set(key, entry);
    while (this.sessions.size > this.capacity) {
      const [oldest, e] = this.sessions.entries().next().value as [string, KernelSession];
      this.sessions.delete(oldest);
      e.session.dispose();
    }
    return entry;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Sessions built since start (misses): a test and the benchmarks read it. */
  get builds(): number {
    return this.built;
  }

  keys(): string[] {
    return [...this.sessions.keys()];
  }

  clear(): void {
    for (const e of this.sessions.values()) e.session.dispose();
    this.sessions.clear();
  }
}

/** The process's cache: every onnxruntime kernel shares it. */
export const sessionCache = new SessionCache();
