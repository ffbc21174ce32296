import os = require('os');
import * as path from 'path';
import { Worker as NodeWorker, type WorkerOptions } from 'worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { installTfjsExtensions } from './extensions';
import { activeKernelSet, chooseKernelSet, type KernelSetReport } from './kernels/ort/kernel-set';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_PREFERENCE: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

export interface BackendReport {
  name: BackendName;
  /** Why a more preferred backend was not used. */
  skipped: { name: BackendName; reason: string }[];
  /** wasm: the threads its kernels run on (1: the single-threaded build). */
  threads?: number;
  /** wasm and cpu: the kernel set their convolutions and matrix products run on. */
  kernels?: KernelSetReport;
}

export interface BackendOptions {
  /**
   * Threads for the wasm backend: 0 = one per logical CPU (at most 8), 1 = the
   * single-threaded build. Default: HRDET_WASM_THREADS, else 0. Takes effect only if the
   * wasm backend has not started yet in this process.
   */
  wasmThreads?: number;
  /** Kernel set ('ort' | 'wasm'); default HRDET_KERNELS, else 'ort' when it can run. Chosen once per process. */
  kernels?: string;
}

let active: BackendReport | null = null;
let kernels: KernelSetReport | null = null;

installTfjsExtensions();

/** Loads tfjs-node-gpu (or tfjs-node) when installed: it registers the 'tensorflow' backend. */
function loadNative(): string | null {
  try {
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
  } finally {
    // loading them (even failing half-way) brings the @tensorflow/tfjs bundle and its gradients
    installTfjsExtensions();
  }
}

// --- wasm threads --------------------------------------------------------------------------
//
// tfjs-wasm ships a threaded build (XNNPACK on a pthread pool) that roughly doubles conv
// throughput on 2 cores, but under Node it (1) reports threads as unsupported, (2) starts its
// pthread workers from blob: URLs, which Node's worker_threads cannot load, and (3) caps its
// pool at half the logical CPUs. Each is worked around for the duration of the backend's
// start-up only; the workers themselves are emscripten's, loaded from the package's files.

const WASM_POOL_SIZE = 8;

function wasmThreadCount(options: BackendOptions): number {
  const env = process.env.HRDET_WASM_THREADS;
  const asked = options.wasmThreads ?? (env !== undefined && env !== '' ? Number(env) : 0);
  if (!Number.isInteger(asked) || asked < 0) {
    throw new Error(`wasm threads must be a whole number >= 0 (0 = one per CPU), got '${options.wasmThreads ?? env}'`);
  }
  return Math.min(asked === 0 ? os.cpus().length : asked, WASM_POOL_SIZE);
}

/** Source of a pthread worker: emscripten's worker script with the globals it expects in a CommonJS scope. */
function pthreadWorkerSource(wasmOut: string): string {
  const script = JSON.stringify(path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js'));
  return [
    'global.require = require;',
    `global.__filename = ${script};`,
    // the script is shipped as a string; its "\\n" escapes must survive being evaluated
    `(0, eval)(require(${script}).wasmWorkerContents.replace(/\\n/g, '\\\\n'));`,
  ].join('\n');
}

/** Prepare the next wasm start-up to use `threads` threads; returns the undo. */
function enableWasmThreads(threads: number): () => void {
  const wasmOut = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const mainScript = path.join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js');
  const source = pthreadWorkerSource(wasmOut);
  class PthreadWorker extends NodeWorker {
    constructor(_url: string, options?: WorkerOptions) {
      super(source, { ...options, eval: true });
    }
    // emscripten refs the worker of every running pthread; XNNPACK's pool threads run for the
    // life of the process and must not keep Node from exiting
    override ref(): void {}
    override postMessage(message: unknown, transfer?: Parameters<NodeWorker["postMessage"]>[1]): void {
      const m = message as { cmd?: string; urlOrBlob?: unknown };
      // the worker loads the module's main script by path, not from the Blob tfjs made of it
      const fixed = m?.cmd === 'load' && typeof m.urlOrBlob !== 'string' ? { ...m, urlOrBlob: mainScript } : message;
      super.postMessage(fixed, transfer);
    }
  }
  const g = globalThis as Record<string, unknown>;
  const hadWorker = Object.prototype.hasOwnProperty.call(g, 'Worker');
  const previousWorker = g.Worker;
  // emscripten assigns worker_threads' Worker to the global Worker on start-up: keep ours
  Object.defineProperty(g, 'Worker', { configurable: true, get: () => PthreadWorker, set: () => undefined });
  // emscripten sizes its pool from the logical CPU count, and tfjs-wasm takes at most half of it
  const realCpus = os.cpus;
  os.cpus = () => Array.from({ length: 2 * threads }, () => realCpus()[0]);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  tfwasm.setThreadsCount(threads);
  return () => {
    delete g.Worker;
    if (hadWorker) g.Worker = previousWorker;
    os.cpus = realCpus;
  };
}

/** Start the wasm backend with the threads asked for, falling back to the single-threaded build. */
async function startWasm(options: BackendOptions): Promise<string | null> {
  const threads = wasmThreadCount(options);
  if (threads > 1 && !tf.engine().registry.wasm) {
    const undo = enableWasmThreads(threads);
    try {
      if (await tf.setBackend('wasm')) return null;
    } catch {
      // fall through to the single-threaded build
    } finally {
      undo();
    }
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    tfwasm.setThreadsCount(1);
  }
  return (await tf.setBackend('wasm')) ? null : 'failed to initialise';
}

async function tryBackend(name: BackendName, options: BackendOptions): Promise<string | null> {
  if (name === 'tensorflow') {
    const why = loadNative();
    if (why) return why;
  }
  if (!tf.findBackendFactory(name)) return 'not registered';
  try {
    if (name === 'wasm') return await startWasm(options);
    const ok = await tf.setBackend(name);
    return ok ? null : 'failed to initialise';
  } catch (e) {
    return (e as Error).message;
  }
}

function report(name: BackendName, skipped: BackendReport['skipped']): BackendReport {
  if (name === 'tensorflow') return { name, skipped };
  const set = { name: activeKernelSet(), ...(kernels?.reason ? { reason: kernels.reason } : {}) };
  return name === 'wasm' ? { name, skipped, threads: tfwasm.getThreadsCount(), kernels: set } : { name, skipped, kernels: set };
}

/**
 * Pick the kernel set (once, or again when asked for explicitly). With the 'ort' set the wasm
 * backend starts single-threaded unless told otherwise: its heavy kernels then run on
 * onnxruntime's pool, a second pool would only compete for the cores, and the unshared heap
 * of the single-threaded build lets onnxruntime read and write tfjs's tensors in place.
 */
function pickKernels(options: BackendOptions): BackendOptions {
  if (!kernels || options.kernels !== undefined) kernels = chooseKernelSet(options.kernels);
  const envThreads = process.env.HRDET_WASM_THREADS;
  const threadsGiven = options.wasmThreads !== undefined || (envThreads !== undefined && envThreads !== '');
  return kernels.name === 'ort' && !threadsGiven ? { ...options, wasmThreads: 1 } : options;
}

/**
 * Pick the tfjs backend: the requested one (argument, else HRDET_BACKEND), else the first
 * that works of tensorflow > wasm > cpu. A requested backend that fails is an error.
 */
export async function initBackend(requested?: string, given: BackendOptions = {}): Promise<BackendReport> {
  installTfjsExtensions();
  const options = pickKernels(given);
  const want = requested ?? process.env.HRDET_BACKEND;
  if (active && (!want || want === active.name)) {
    active = report(active.name, active.skipped);
    return active;
  }
  if (want) {
    if (!BACKEND_PREFERENCE.includes(want as BackendName)) {
      throw new Error(`unknown backend '${want}': expected one of ${BACKEND_PREFERENCE.join(', ')}`);
    }
    const why = await tryBackend(want as BackendName, options);
    if (why) throw new Error(`backend '${want}' is not available: ${why}`);
    active = report(want as BackendName, []);
    return active;
  }
  const skipped: BackendReport['skipped'] = [];
  for (const name of BACKEND_PREFERENCE) {
    const why = await tryBackend(name, options);
    if (!why) {
      active = report(name, skipped);
      return active;
    }
    skipped.push({ name, reason: why });
  }
  throw new Error(`no tfjs backend could be initialised: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

export function activeBackend(): BackendReport | null {
  return active;
}
