import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_PREFERENCE: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

export interface BackendReport {
  name: BackendName;
  /** Why a more preferred backend was not used. */
  skipped: { name: BackendName; reason: string }[];
}

let active: BackendReport | null = null;

/** Loads tfjs-node-gpu (or tfjs-node) when installed: it registers the 'tensorflow' backend. */
function loadNative(): string | null {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require(pkg);
      return null;
    } catch (e) {
      if (pkg === '@tensorflow/tfjs-node') {
        return `neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed (${(e as Error).message.split('\n')[0]})`;
      }
    }
  }
  return null;
}

async function tryBackend(name: BackendName): Promise<string | null> {
  if (name === 'tensorflow') {
    const why = loadNative();
    if (why) return why;
  }
  if (!tf.findBackendFactory(name)) return 'not registered';
  try {
    const ok = await tf.setBackend(name);
    return ok ? null : 'failed to initialise';
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Pick the tfjs backend: the requested one (argument, else HRDET_BACKEND), else the first
 * that works of tensorflow > wasm > cpu. A requested backend that fails is an error.
 */
export async function initBackend(requested?: string): Promise<BackendReport> {
  const want = requested ?? process.env.HRDET_BACKEND;
  if (active && (!want || want === active.name)) return active;
  if (want) {
    if (!BACKEND_PREFERENCE.includes(want as BackendName)) {
      throw new Error(`unknown backend '${want}': expected one of ${BACKEND_PREFERENCE.join(', ')}`);
    }
    const why = await tryBackend(want as BackendName);
    if (why) throw new Error(`backend '${want}' is not available: ${why}`);
    active = { name: want as BackendName, skipped: [] };
    return active;
  }
  const skipped: BackendReport['skipped'] = [];
  for (const name of BACKEND_PREFERENCE) {
    const why = await tryBackend(name);
    if (!why) {
      active = { name, skipped };
      return active;
    }
    skipped.push({ name, reason: why });
  }
  throw new Error(`no tfjs backend could be initialised: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

export function activeBackend(): BackendReport | null {
  return active;
}
