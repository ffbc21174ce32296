import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../core/errors';

export type ProviderRequest = 'auto' | 'cuda' | 'cpu';
export type ProviderName = 'cuda' | 'cpu';

/**
 * How to get the CUDA execution provider: onnxruntime-node 1.23 bundles only the CPU build
 * and downloads the CUDA provider libraries from NuGet in its install script when asked
 * (its script/install.js reads ONNXRUNTIME_NODE_INSTALL, then the npm config
 * `onnxruntime-node-install`). hrdet's package.json denies that script to npm (`allowScripts`),
 * so a plain `npm ci` keeps the CPU build and downloads nothing; the script is run by hand to add
 * CUDA. CUDA 12 and cuDNN 9 must be installed on the machine.
 */
export const CUDA_HOWTO =
  'add onnxruntime-node\'s CUDA provider: `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` ' +
  '(npm does not run that script at install: package.json allowScripts), with CUDA 12 and cuDNN 9 libraries installed';

/** Folder holding onnxruntime-node's native binding and any provider libraries installed beside it. */
export function ortBinaryDir(): string {
  const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
  return path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

const CUDA_LIBRARIES: Record<string, string[]> = {
  linux: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'],
  win32: ['onnxruntime_providers_shared.dll', 'onnxruntime_providers_cuda.dll'],
};

/** null when the CUDA provider's libraries are installed, else why not. */
export function cudaMissingReason(): string | null {
  const libs = CUDA_LIBRARIES[process.platform];
  if (!libs) return `onnxruntime-node has no CUDA provider for ${process.platform}/${process.arch}`;
  const dir = ortBinaryDir();
  const missing = libs.filter((l) => !existsSync(path.join(dir, l)));
  if (missing.length > 0) return `the CUDA provider libraries are not installed (${missing.join(', ')} missing in ${dir})`;
  return null;
}

export interface ProviderChoice {
  requested: ProviderRequest;
  /** Providers to try in order; the session falls back to the next when one cannot start. */
  candidates: ProviderName[];
  /** Providers passed over before trying, with the reason. */
  skipped: { name: ProviderName; reason: string }[];
}

/** Which providers to try for a request (`auto`: CUDA where its libraries are installed, else CPU). */
export function chooseProviders(requested: ProviderRequest): ProviderChoice {
  if (requested === 'cpu') return { requested, candidates: ['cpu'], skipped: [] };
  const missing = cudaMissingReason();
  if (requested === 'cuda') return { requested, candidates: missing ? [] : ['cuda'], skipped: missing ? [{ name: 'cuda', reason: missing }] : [] };
  return missing
    ? { requested, candidates: ['cpu'], skipped: [{ name: 'cuda', reason: missing }] }
    : { requested, candidates: ['cuda', 'cpu'], skipped: [] };
}

export function parseProviderRequest(value: string | undefined): ProviderRequest {
  const v = (value ?? 'auto').toLowerCase();
  if (v === 'auto' || v === 'cuda' || v === 'cpu') return v;
  throw new UserError(`unknown execution provider '${value}': expected auto, cuda or cpu`);
}
