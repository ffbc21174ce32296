import { expect } from 'chai';
import { buildFrom } from '../../../src/registry/build-context';
import { createContainer } from '../../../src/registry/container';
import { TASK_UTILS } from '../../../src/registry/registries';
import { SilentLogger } from '../../../src/registry/services';
import '../../../src/components';

export { errorOf } from '../../config/fixture-dir';

const container = createContainer({ logger: new SilentLogger() });

/** Build a task module from its mmdetection config dict, as a head would. */
export function buildTaskUtil<T>(cfg: Record<string, unknown>, path = 'model.test_util'): T {
  return buildFrom(TASK_UTILS, cfg, container, path) as T;
}

/** Element-wise |a - b| <= atol + rtol * |b|, with the first failing element in the message. */
export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-5, rtol = 1e-5, what = 'values'): void {
  expect(actual.length, `${what}: length`).to.equal(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const [a, b] = [actual[i], expected[i]];
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) expect.fail(`${what}[${i}]: got ${a}, expected ${b}`);
  }
}

/** Flat float32 rows of boxes. */
export const boxes = (rows: readonly (readonly number[])[]): Float32Array => Float32Array.from(rows.flat());
