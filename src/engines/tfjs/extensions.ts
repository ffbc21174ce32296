/**
 * What hrdet adds to tfjs before its engine runs: the gradients tfjs-core's Node build lacks
 * and the kernels the wasm (and cpu) backends lack or run slowly. Idempotent.
 */
import { registerGradients } from './gradients/register-gradients';
import { cpuBackend } from './kernels/host-kernel';
import { registerKernels } from './kernels/register-kernels';

export function installTfjsExtensions(): void {
  registerKernels();
  registerGradients();
  // hrdet reports its backend itself: silence the cpu backend's "install tfjs-node" banner
  cpuBackend();
}
