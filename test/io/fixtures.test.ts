import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostTensor } from '../../src/core/host-tensor';
import { loadCheckpoint } from '../../src/io/checkpoint';
import { readSafetensors } from '../../src/io/safetensors';
import { SHARED_FIXTURES } from './fixture-root';

/**
 * Every reference checkpoint of ../shared/fixtures (official HRNet code and mmdetection
 * detectors) must load with exactly the keys, dtypes and shapes of its keys.txt, in order,
 * and the zip and legacy files must hold identical data.
 */
const FIXTURE_ROOT = SHARED_FIXTURES;

function fixtureDirs(): string[] {
  const dirs: string[] = [];
  for (const group of ['hrnet', 'det']) {
    const g = join(FIXTURE_ROOT, group);
    if (!existsSync(g)) continue;
    for (const d of readdirSync(g).sort()) if (existsSync(join(g, d, 'keys.txt'))) dirs.push(join(g, d));
  }
  return dirs;
}

function readKeys(dir: string): { name: string; dtype: string; shape: number[] }[] {
  return readFileSync(join(dir, 'keys.txt'), 'utf-8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      // `name dtype [d0,d1]` (hrnet) or `name dtype [d0, d1]` (det)
      const [name, dtype, ...shape] = l.trim().split(' ');
      return { name, dtype, shape: JSON.parse(shape.join(' ')) as number[] };
    });
}

function describe3(sd: Map<string, HostTensor>) {
  return [...sd].map(([name, t]) => ({ name, dtype: t.dtype, shape: [...t.shape] }));
}

function sameData(a: HostTensor, b: HostTensor): boolean {
  if (a.data.length !== b.data.length || a.data.constructor !== b.data.constructor) return false;
  const x = a.data as unknown as ArrayLike<number>;
  const y = b.data as unknown as ArrayLike<number>;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

describe('io: reference fixtures', () => {
  const dirs = fixtureDirs();

  it('finds the shared fixtures', () => {
    expect(dirs.length, `no fixtures under ${FIXTURE_ROOT}`).to.be.greaterThanOrEqual(8);
  });

  for (const dir of dirs) {
    const name = dir.split('/').slice(-2).join('/');

    it(`${name}: state_dict.pth has the keys, dtypes and shapes of keys.txt, in order`, async () => {
      const { stateDict, format } = await loadCheckpoint(join(dir, 'state_dict.pth'));
      expect(format).to.equal('pth-zip');
      expect(describe3(stateDict)).to.deep.equal(readKeys(dir));
    });

    if (existsSync(join(dir, 'state_dict_legacy.pth'))) {
      it(`${name}: state_dict_legacy.pth holds the same keys and identical data`, async () => {
        const zip = (await loadCheckpoint(join(dir, 'state_dict.pth'))).stateDict;
        const legacy = await loadCheckpoint(join(dir, 'state_dict_legacy.pth'));
        expect(legacy.format).to.equal('pth-legacy');
        expect(describe3(legacy.stateDict)).to.deep.equal(readKeys(dir));
        const differing = [...zip].filter(([k, t]) => !sameData(t, legacy.stateDict.get(k)!)).map(([k]) => k);
        expect(differing).to.deep.equal([]);
      });
    }

    it(`${name}: io.safetensors has the input and output shapes of config.json`, async () => {
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf-8'));
      const { tensors } = await readSafetensors(join(dir, 'io.safetensors'));
      expect(tensors.get('input')!.shape).to.deep.equal(config.input.shape);
      for (const [out, spec] of Object.entries(config.outputs as Record<string, unknown>)) {
        const shape = Array.isArray(spec) ? spec : (spec as { shape: number[] }).shape;
        expect(tensors.get(out)?.shape, out).to.deep.equal(shape);
        if (!Array.isArray(spec)) {
          const dtype = { F32: 'float32', I64: 'int64', U8: 'uint8' }[(spec as { dtype: string }).dtype];
          expect(tensors.get(out)!.dtype, out).to.equal(dtype);
        }
      }
    });
  }

  // values, not only shapes: the summary statistics the fixture generator recorded
  for (const dir of dirs.filter((d) => d.includes('/hrnet/'))) {
    const name = dir.split('/').slice(-2).join('/');
    it(`${name}: io.safetensors outputs match the statistics in stats.json`, async () => {
      const stats = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf-8'));
      const { tensors } = await readSafetensors(join(dir, 'io.safetensors'));
      for (const [out, s] of Object.entries(stats.outputs as Record<string, { mean: number; max_abs: number; min: number; max: number }>)) {
        const d = tensors.get(out)!.data as Float32Array;
        let sum = 0;
        let min = Infinity;
        let max = -Infinity;
        for (const v of d) {
          sum += v;
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
        expect(min, out).to.equal(s.min);
        expect(max, out).to.equal(s.max);
        expect(sum / d.length, out).to.be.closeTo(s.mean, 1e-6 * Math.max(1, s.max_abs));
      }
    });

    it(`${name}: intermediates.safetensors has batch-1 NCHW activations at the stem resolution and below`, async () => {
      const file = join(dir, 'intermediates.safetensors');
      if (!existsSync(file)) return;
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf-8'));
      const [, , h, w] = config.input.shape as number[];
      const stemH = Math.ceil(Math.ceil(h / 2) / 2);
      const stemW = Math.ceil(Math.ceil(w / 2) / 2);
      const { tensors } = await readSafetensors(file);
      expect(tensors.get('stem')!.shape).to.deep.equal([1, 64, stemH, stemW]);
      for (const [k, t] of tensors) {
        expect(t.dtype, k).to.equal('float32');
        const m = /^stage(\d)\.(\d)$/.exec(k);
        if (m) expect(t.shape.slice(2), k).to.deep.equal([stemH >> Number(m[2]), stemW >> Number(m[2])]);
      }
    });
  }

  for (const dir of dirs.filter((d) => d.includes('/hrnet/'))) {
    const name = dir.split('/').slice(-2).join('/');
    it(`${name}: float element count matches params.state_dict_float_numel of stats.json`, async () => {
      const stats = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf-8'));
      const { stateDict } = await loadCheckpoint(join(dir, 'state_dict_legacy.pth'));
      let n = 0;
      for (const t of stateDict.values()) if (t.dtype === 'float32') n += t.data.length;
      expect(n).to.equal(stats.params.state_dict_float_numel);
    });
  }
});
