import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../../../src/core/random';
import type { Results } from '../../../src/data/transforms/results';
import { withDefaultScope } from '../../../src/registry/registry';
import { REPO_ROOT } from '../../fixture-root';
import { ramp, t } from './helpers/sample';

const REF = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures/data/seg_cls_refs.json'), 'utf8')).pmd;

/** A generator that hands out scripted draws and records which kind each call asked for. */
function scripted(values: number[]) {
  const calls: string[] = [];
  const next = (kind: string) => {
    calls.push(kind);
    if (!values.length) throw new Error(`no scripted draw left for ${kind}`);
    return values.shift()!;
  };
  const rng = { int: () => next('int'), uniform: () => next('uniform'), between: () => next('between') } as unknown as Random;
  return { rng, calls };
}

describe("mmseg's PhotoMetricDistortion", () => {
  const build = (cfg: Record<string, unknown> = {}) => withDefaultScope('mmseg', () => t({ type: 'PhotoMetricDistortion', ...cfg }));

  it("with every step on and contrast last (mode 0) reproduces mmseg's steps on OpenCV (two HSV round trips: within 2)", () => {
    const pmd = build() as unknown as { distort(src: Uint8Array, rng: Random): Uint8Array };
    // brightness on, beta; mode 0; saturation on, alpha; hue on, delta; contrast on, alpha
    const { rng, calls } = scripted([1, REF.beta, 0, 1, REF.saturation, 1, REF.hue, 1, REF.contrast]);
    const out = pmd.distort(Uint8Array.from(REF.img), rng);
    expect(calls).to.deep.equal(['int', 'uniform', 'int', 'int', 'uniform', 'int', 'between', 'int', 'uniform']);
    const diffs = REF.out.map((v: number, i: number) => Math.abs(v - out[i]));
    expect(Math.max(...diffs)).to.be.at.most(2);
    expect(diffs.filter((d: number) => d === 0).length).to.be.at.least(diffs.length * 0.85);
  });

  it('mode 1 takes contrast first; steps whose coin is 0 draw nothing more and change nothing', () => {
    const pmd = build() as unknown as { distort(src: Uint8Array, rng: Random): Uint8Array };
    const src = Uint8Array.from([10, 100, 250, 0, 128, 255]);
    // brightness off; mode 1; contrast on (x2); saturation off; hue off
    const { rng, calls } = scripted([0, 1, 1, 2, 0, 0]);
    expect([...pmd.distort(src, rng)]).to.deep.equal([20, 200, 255, 0, 255, 255]);
    expect(calls).to.deep.equal(['int', 'int', 'int', 'uniform', 'int', 'int']);
    // brightness +0.9 truncates: 10.9 -> 10; -0.5 clips 0 and truncates 9.5 -> 9
    const b = scripted([1, 0.9, 0, 0, 0, 0]);
    expect([...pmd.distort(src, b.rng)]).to.deep.equal([10, 100, 250, 0, 128, 255]);
    const c = scripted([1, -0.5, 0, 0, 0, 0]);
    expect([...pmd.distort(src, c.rng)]).to.deep.equal([9, 99, 249, 0, 127, 254]);
  });

  it('draws from results.rng (seeded: same seed, same image) and refuses float images', () => {
    const pmd = build({ hue_delta: 5 });
    const run = (seed: number) => (pmd.transform({ img: ramp(6, 7), rng: new Random(seed) }) as Results).img!.data;
    expect([...run(3)]).to.deep.equal([...run(3)]);
    expect([...run(3)]).to.not.deep.equal([...ramp(6, 7).data]);
    const img = { ...ramp(2, 2), data: new Float32Array(12) };
    expect(() => pmd.transform({ img, rng: new Random(1) })).to.throw(/needs an 8-bit 3-channel/);
    expect(() => t({ type: 'PhotoMetricDistortion' })).to.throw(/unknown transform type 'PhotoMetricDistortion'/);
    expect(() => t({ type: 'mmseg.PhotoMetricDistortion', hue: 3 })).to.throw(/pipeline\.0/);
  });
});
