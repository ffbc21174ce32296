/** Loading and comparing the mmdetection detector fixtures (../shared/fixtures/det, README there). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { buildModel } from '../../../src/apis/build-model';
import { loadStateDictInto } from '../../../src/apis/load-weights';
import type { HostTensor } from '../../../src/core/host-tensor';
import { loadCheckpoint } from '../../../src/io/checkpoint';
import { readSafetensors } from '../../../src/io/safetensors';
import type { BaseModel } from '../../../src/models/base-model';
import { DetDataSample } from '../../../src/structures/det-data-sample';
import { sharedFixtures } from '../../fixture-root';

export const detFixtureDir = (name: string): string => join(sharedFixtures(), 'det', name);

export interface DetFixture {
  dir: string;
  cfg: { model: Record<string, unknown>; img_metas: Record<string, unknown>[] };
  model: BaseModel;
  io: Map<string, HostTensor>;
  samples: () => DetDataSample[];
}

/** The fixture's model built from its config.json, its state dict loaded strictly, its tensors. */
export async function loadDetFixture(name: string): Promise<DetFixture> {
  const dir = detFixtureDir(name);
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const model = (await buildModel({ model: cfg.model }, { initWeights: false })).model;
  const path = join(dir, 'state_dict.pth');
  loadStateDictInto(model, (await loadCheckpoint(path)).stateDict, path, { strict: true });
  const io = (await readSafetensors(join(dir, 'io.safetensors'))).tensors;
  return { dir, cfg, model, io, samples: () => cfg.img_metas.map((m: Record<string, unknown>) => new DetDataSample(m)) };
}

/** keys.txt: `name dtype [shape]` per state-dict entry, in order. */
export const fixtureKeys = (dir: string): string[] => readFileSync(join(dir, 'keys.txt'), 'utf8').trim().split('\n');

/**
 * The README's box rule for [N, 5] (x1, y1, x2, y2, score; `scoreCol` false for RoIs
 * [N, 5] = batch index, x1..y2): boxes within max(1e-2 px, 1e-3 * |ref|), scores within 5e-5.
 */
export function expectBoxes(actual: HostTensor, expected: HostTensor, name: string, scoreCol = true): void {
  expect([...actual.shape], `${name} shape`).to.deep.equal([...expected.shape]);
  const [a, e] = [actual.data as Float32Array, expected.data as Float32Array];
  for (let i = 0; i < e.length; i++) {
    const col = i % 5;
    const tol = scoreCol && col === 4 ? 5e-5 : !scoreCol && col === 0 ? 0 : Math.max(1e-2, 1e-3 * Math.abs(e[i]));
    expect(Math.abs(a[i] - e[i]), `${name} row ${Math.floor(i / 5)} col ${col}: ${a[i]} vs ${e[i]}`).to.be.at.most(tol);
  }
}

/** The first n rows of a tensor. */
export function firstRows(t: HostTensor, n: number): HostTensor {
  const row = t.shape.slice(1).reduce((x, y) => x * y, 1);
  return { dtype: t.dtype, shape: [n, ...t.shape.slice(1)], data: (t.data as Float32Array).slice(0, n * row) };
}

/** int64 labels as numbers. */
export const labelsOf = (t: HostTensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, Number);
