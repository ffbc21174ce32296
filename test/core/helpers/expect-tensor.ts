import { expect } from 'chai';
import type { HostTensor } from '../../../src/core/host-tensor';

/** Plain numbers of a host tensor (bool/uint8 as 0/1, int64 converted). */
export function values(t: HostTensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/**
 * Shape must match exactly; values within `atol + rtol * |expected|` (NaN matches NaN,
 * infinities must be equal). The message names the first offending flat index.
 */
export function expectTensor(
  actual: HostTensor,
  shape: readonly number[],
  expected: ArrayLike<number>,
  tol: { atol?: number; rtol?: number } = {},
): void {
  const atol = tol.atol ?? 1e-5;
  const rtol = tol.rtol ?? 1e-5;
  expect([...actual.shape], 'shape').to.deep.equal([...shape]);
  const got = values(actual);
  expect(got.length, 'element count').to.equal(expected.length);
  for (let i = 0; i < got.length; i++) {
    const [a, e] = [got[i], expected[i]];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (!Number.isFinite(e) && a === e) continue;
    const ok = Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!ok) expect.fail(`element ${i} of [${shape.join(',')}]: got ${a}, expected ${e} (atol ${atol}, rtol ${rtol})`);
  }
}

/** Exact equality of values and shape (integers, booleans, indices). */
export function expectExact(actual: HostTensor, shape: readonly number[], expected: ArrayLike<number>): void {
  expect([...actual.shape], 'shape').to.deep.equal([...shape]);
  expect(values(actual)).to.deep.equal(Array.from(expected));
}
