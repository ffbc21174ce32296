/**
 * Running tests with a chosen kernel set: the ort kernels taking every call regardless of the
 * size rule, or the wasm kernels. The previous set and rule are restored afterwards.
 */
import { activeKernelSet, currentMinMacs, setMinMacs, useKernelSet, type KernelSetName } from '../../../../src/engines/tfjs/kernels/ort/kernel-set';
import { describeOnBackends, type Harness } from '../../../core/helpers/backends';

/** Inside a describe: use `set` for its tests (ort: every call, whatever its size). */
export function withKernelSet(set: KernelSetName): void {
  let previous: KernelSetName;
  let rule: ReturnType<typeof currentMinMacs>;
  before(() => {
    previous = activeKernelSet();
    rule = currentMinMacs();
    useKernelSet(set);
    if (set === 'ort') setMinMacs({ conv: 0, convBackprop: 0, depthwise: 0, matmul: 0 });
  });
  after(() => {
    useKernelSet(previous);
    setMinMacs(rule);
  });
}

/** describeOnBackends once per kernel set. */
export function describeWithKernelSets(title: string, body: (h: Harness) => void, sets: readonly KernelSetName[] = ['ort', 'wasm']): void {
  for (const set of sets) {
    describeOnBackends(`${title} [${set} kernels]`, (h) => {
      withKernelSet(set);
      body(h);
    });
  }
}
