/**
 * `hrdet forward --img-metas` against the mmdetection detector fixtures (../shared/fixtures/det),
 * as a user runs it: every fixture on onnxruntime (`--engine onnx`: the whole test path traced,
 * the image sizes fed as graph inputs, the masks pasted on the host), Mask R-CNN also on tfjs,
 * compared by the fixtures' README rules (the pasted masks: up to 10 edge pixels of 1.15 million
 * may differ on onnxruntime, see below).
 */
import { expect } from 'chai';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { HostTensor } from '../../src/core/host-tensor';
import { readSafetensors } from '../../src/io/safetensors';
import { expectNear } from '../fixtures/hrnet/helpers';
import { detFixtureDir, expectBoxes, firstRows, labelsOf } from '../models/detectors/det-fixture';
import { hrdet, tempFiles } from './run-cli';

const RUNS: [string, 'onnx' | 'wasm'][] = [
  ['faster_rcnn_tiny', 'onnx'],
  ['cascade_rcnn_tiny', 'onnx'],
  ['mask_rcnn_tiny', 'onnx'],
  ['mask_rcnn_tiny', 'wasm'],
  ['fcos_tiny', 'onnx'],
];

/** Every fixture tensor against the output of the same name, by the README's rule for its kind. */
function compare(got: Map<string, HostTensor>, want: Map<string, HostTensor>, maskPixels: number): number {
  let compared = 0;
  for (const [k, ref] of want) {
    if (k === 'input') continue;
    const t = got.get(k);
    // FCOS's tensor mode is its raw head outputs (its NMS is host post-processing)
    if (!t && (k === 'dets' || k === 'labels') && got.has('centerness.0')) continue;
    expect(t, `output ${k} (got ${[...got.keys()].join(', ')})`).to.not.equal(undefined);
    if (k === 'proposals' || k === 'dets') expectBoxes(t!, ref, k);
    else if (/^rois\.\d$/.test(k)) expectBoxes(t!, ref, k, false);
    else if (k === 'labels') expect(labelsOf(t!)).to.deep.equal(labelsOf(ref));
    else if (k === 'masks') {
      expect([...t!.shape]).to.deep.equal([...ref.shape]);
      const [a, b] = [t!.data as Uint8Array, ref.data as Uint8Array];
      let differing = 0;
      for (let i = 0; i < b.length; i++) if (Number(a[i]) !== Number(b[i])) differing++;
      expect(differing, `${k}: pixels that differ`).to.be.at.most(maskPixels);
    } else expectNear(ref.shape[0] < t!.shape[0] ? firstRows(t!, ref.shape[0]) : t!, ref, k);
    compared++;
  }
  return compared;
}

describe('hrdet forward on the mmdetection detector fixtures (--img-metas)', function () {
  this.timeout(180000);
  for (const [name, engine] of RUNS) {
    it(`${name} on ${engine === 'onnx' ? 'onnxruntime' : 'tfjs wasm'} reproduces every fixture tensor`, async () => {
      const fixture = detFixtureDir(name);
      const cfg = JSON.parse(readFileSync(join(fixture, 'config.json'), 'utf8'));
      const dir = tempFiles({ 'config.json': { model: cfg.model }, 'metas.json': cfg.img_metas });
      try {
        const out = join(dir, 'out.safetensors');
        const r = hrdet([
          'forward', join(dir, 'config.json'),
          '--checkpoint', join(fixture, 'state_dict.pth'),
          '--input', join(fixture, 'io.safetensors'),
          '--img-metas', join(dir, 'metas.json'),
          '--output', out,
          '--strict',
          ...(engine === 'onnx' ? ['--engine', 'onnx'] : ['--backend', 'wasm']),
        ]);
        expect(r.code, r.stderr).to.equal(0);
        const got = (await readSafetensors(out)).tensors;
        const want = (await readSafetensors(join(fixture, 'io.safetensors'))).tensors;
        // the fixture's closest mask pixel is 5.6e-6 from the threshold, closer than onnxruntime's
        // and tfjs's float32 kernels agree (about 1e-5): a few pixels on the edge may flip there
        expect(compare(got, want, engine === 'onnx' ? 10 : 0)).to.be.greaterThan(10);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
