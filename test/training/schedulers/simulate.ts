import { Parameter } from '../../../src/core/parameter';
import { SGD } from '../../../src/training/optim/sgd';
import type { ParamScheduler } from '../../../src/training/schedulers/param-scheduler';

/** An optimizer with one param group at `lr` (schedulers only touch its hyper-parameters). */
export function optimizerAt(lr: number, groups = 1): SGD {
  const opt = new SGD({ lr, momentum: 0.9 });
  opt.setParamGroups(Array.from({ length: groups }, (_, i) => ({ params: [{ name: `p${i}`, param: new Parameter([1]) }] })));
  return opt;
}

/**
 * The lr of group 0 at every iteration as mmengine's ParamSchedulerHook drives the
 * schedulers: by_epoch: false ones step after every iteration, by_epoch: true ones after
 * every epoch, each list in config order.
 */
export function lrTrace(opt: SGD, schedulers: ParamScheduler[], epochs: number, itersPerEpoch: number, group = 0): number[] {
  const out: number[] = [];
  for (let e = 0; e < epochs; e++) {
    for (let i = 0; i < itersPerEpoch; i++) {
      out.push(opt.paramGroups[group].num('lr'));
      for (const s of schedulers) if (!s.byEpoch) s.step();
    }
    for (const s of schedulers) if (s.byEpoch) s.step();
  }
  return out;
}

/** Largest relative difference, with the index where it occurs. */
export function worst(actual: readonly number[], expected: readonly number[]): { at: number; rel: number } {
  let at = -1;
  let rel = 0;
  expected.forEach((e, i) => {
    const r = Math.abs(actual[i] - e) / Math.max(Math.abs(e), 1e-300);
    if (!(r <= rel)) {
      rel = r;
      at = i;
    }
  });
  return { at, rel };
}
