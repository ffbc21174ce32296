/**
 * Registering hrdet's kernels next to (or in place of) a tfjs backend's own. A replaced
 * kernel stays reachable, so a replacement can hand the cases it does not cover back to it.
 */
import * as tf from '@tensorflow/tfjs-core';

export type Kernel = tf.KernelFunc;
export type KernelArgs = Parameters<tf.KernelFunc>[0];
export type KernelResult = ReturnType<tf.KernelFunc>;

const replaced = new Map<string, tf.KernelConfig>();
const installed = new Map<string, tf.KernelConfig>();
const layered = new Set<string>();

const key = (kernelName: string, backendName: string) => `${backendName}_${kernelName}`;

/**
 * Register `kernelFunc` as `kernelName` on `backendName`, replacing the backend's kernel if it
 * has one. Idempotent: a second call for the same pair keeps the first registration.
 */
export function installKernel(kernelName: string, backendName: string, kernelFunc: Kernel): void {
  const k = key(kernelName, backendName);
  if (installed.has(k)) return;
  const existing = tf.getKernel(kernelName, backendName);
  if (existing) {
    replaced.set(k, existing);
    tf.unregisterKernel(kernelName, backendName);
  }
  // keep the replaced kernel's setup: the backend runs it on start-up, and a fallback to the
  // replaced kernel needs what it sets up (tfjs-wasm binds its C entry points there)
  const config: tf.KernelConfig = { kernelName, backendName, kernelFunc, setupFunc: existing?.setupFunc, disposeFunc: existing?.disposeFunc };
  tf.registerKernel(config);
  installed.set(k, config);
}

/** The backend's own kernel that `installKernel` replaced, if any. */
export function originalKernel(kernelName: string, backendName: string): Kernel | undefined {
  return replaced.get(key(kernelName, backendName))?.kernelFunc;
}

/** Undo `installKernel` (tests compare a replacement with what it replaced). */
export function uninstallKernel(kernelName: string, backendName: string): void {
  const k = key(kernelName, backendName);
  if (!installed.has(k)) return;
  tf.unregisterKernel(kernelName, backendName);
  installed.delete(k);
  const original = replaced.get(k);
  if (original) tf.registerKernel(original);
  replaced.delete(k);
}

/** Kernels installed by hrdet, as "backend/kernel" strings. */
export function installedKernels(): string[] {
  return [...installed.values()].map((c) => `${c.backendName}/${c.kernelName}`).sort();
}

/**
 * Put `make(below)` in front of whatever `kernelName` runs on `backendName` now (the backend's
 * kernel or hrdet's replacement), keeping its setup. For a kernel set that handles some calls
 * and hands the rest to the kernel below. Once per pair: a second call is ignored.
 */
export function layerKernel(kernelName: string, backendName: string, make: (below: Kernel | undefined) => Kernel): void {
  const k = `layer:${key(kernelName, backendName)}`;
  if (layered.has(k)) return;
  layered.add(k);
  const existing = tf.getKernel(kernelName, backendName);
  if (existing) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ kernelName, backendName, kernelFunc: make(existing?.kernelFunc), setupFunc: existing?.setupFunc, disposeFunc: existing?.disposeFunc });
}
