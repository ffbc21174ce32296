/**
 * `hrdet forward` against the official HRNet fixtures, end to end as a user runs it: every
 * fixture, from both .pth formats, with --strict, on the tfjs wasm and cpu backends and on
 * onnxruntime (`--engine onnx`).
 */
import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../src/io/safetensors';
import { fixtureConfig, expectNear, SHARED_HRNET, CHECKPOINTS, type FixtureName } from '../fixtures/hrnet/helpers';
import { fromOfficialConfig } from '../../src/models/official-config';
import { hrdet, tempFiles } from './run-cli';

const FIXTURES: FixtureName[] = ['pose_tiny', 'seg_tiny', 'cls_tiny', 'mmdet_tiny'];

/** The hrdet config equivalent to a fixture's config.json, as a user would write it. */
function hrdetConfig(name: FixtureName): Record<string, unknown> {
  const cfg = fixtureConfig(name);
  if (name === 'mmdet_tiny') return { model: { type: 'FeaturePyramid', backbone: cfg.backbone, neck: cfg.neck } };
  return fromOfficialConfig(cfg) as unknown as Record<string, unknown>;
}

describe('hrdet forward on the official HRNet fixtures', function () {
  this.timeout(180000);
  for (const name of FIXTURES) {
    for (const backend of ['wasm', 'cpu', 'onnx']) {
      for (const ckpt of CHECKPOINTS) {
        it(`${name} from ${ckpt} on ${backend}`, async () => {
          const dir = tempFiles({ 'config.json': hrdetConfig(name) });
          try {
            const out = join(dir, 'out.safetensors');
            const fixture = join(SHARED_HRNET, name);
            const r = hrdet([
              'forward', join(dir, 'config.json'),
              '--checkpoint', join(fixture, ckpt),
              '--input', join(fixture, 'io.safetensors'),
              '--output', out,
              '--strict',
              ...(backend === 'onnx' ? ['--engine', 'onnx'] : ['--backend', backend]),
            ]);
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stderr).to.contain(backend === 'onnx' ? 'engine: onnxruntime' : `tfjs backend: ${backend}`);
            const got = (await readSafetensors(out)).tensors;
            const want = (await readSafetensors(join(fixture, 'io.safetensors'))).tensors;
            let compared = 0;
            for (const [k, t] of want) {
              if (k === 'input' || k === 'output_upsampled') continue; // the latter is post-processing, not a model output
              expect(got.has(k), `output ${k} (got ${[...got.keys()].join(', ')})`).to.equal(true);
              expectNear(got.get(k)!, t, `${name}/${k}`);
              compared++;
            }
            expect(compared).to.be.greaterThan(0);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        });
      }
    }
  }
});
