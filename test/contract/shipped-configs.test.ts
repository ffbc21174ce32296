/**
 * The contract every shipped model config keeps: it builds, runs a forward on the tfjs engine
 * with the outputs its model declares, and its state dict survives a safetensors round trip
 * with strict loading. New configs are tested by being shipped.
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildModel } from '../../src/apis/build-model';
import { forwardTfjs, tfjsEngine } from '../../src/apis/forward';
import { loadWeights } from '../../src/apis/load-weights';
import { initBackend } from '../../src/engines/tfjs/backend';
import { hostTensor } from '../../src/core/host-tensor';
import { Random } from '../../src/core/random';
import { saveCheckpoint } from '../../src/io/checkpoint';
import { REPO_ROOT } from '../fixture-root';

function shippedConfigs(dir = join(REPO_ROOT, 'configs')): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== '_base_') out.push(...shippedConfigs(p));
    } else if (/\.(json|ya?ml|js|ts)$/.test(name)) {
      out.push(p);
    }
  }
  return out;
}

/** A small input with the config's channel count: forward cost stays tiny for every width. */
const SMALL = [64, 64];
const ROUND_TRIP_MAX_PARAMS = 30e6;
const BATCH_MAJOR = /^(backbone|neck|rpn_cls|rpn_reg|cls_score|bbox_pred|centerness)\.\d+$|^output$/;

describe('contract: every shipped config', function () {
  this.timeout(300000);
  let tmp: string;
  before(async () => {
    await initBackend('wasm');
    tmp = mkdtempSync(join(tmpdir(), 'hrdet-contract-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  for (const file of shippedConfigs()) {
    const name = relative(REPO_ROOT, file);
    it(`${name}: builds, runs, round-trips its state dict`, async () => {
      const { model } = await buildModel(file);
      const input = hostTensor('float32', [1, model.inChannels, ...SMALL], new Random(3).normalArray(model.inChannels * SMALL[0] * SMALL[1]));
      const outputs = forwardTfjs(model, input);
      expect([...outputs.keys()].some((k) => k === 'output' || k.startsWith('neck.')), 'has output or neck.*').to.equal(true);
      const declared = model.outputNames();
      if (declared.length) expect([...outputs.keys()]).to.deep.equal(declared);
      for (const [k, t] of outputs) {
        // feature maps and dense-head levels are batch-major; per-image detections and RoI tensors are not
        if (BATCH_MAJOR.test(k)) expect(t.shape[0], `${k} batch`).to.equal(1);
        const data = t.data as Float32Array;
        expect(data.every(Number.isFinite), `${k} finite`).to.equal(true);
      }
      // state dict: save, rebuild, load strictly, same outputs (skipped for the largest
      // models only to keep CI's disk traffic small; their keys are covered by the manifests)
      if (model.numParameters() > ROUND_TRIP_MAX_PARAMS) {
        tfjsEngine().release(model);
        return;
      }
      const ckpt = join(tmp, `${name.replace(/[\\/]/g, '_')}.safetensors`);
      await saveCheckpoint(ckpt, model.stateDict());
      const { model: again } = await buildModel(file);
      const { report } = await loadWeights(again, ckpt, { strict: true });
      expect(report.missing).to.deep.equal([]);
      const second = forwardTfjs(again, input);
      tfjsEngine().release(model);
      tfjsEngine().release(again);
      for (const [k, t] of outputs) {
        expect(second.get(k)!.data, k).to.deep.equal(t.data);
      }
    });
  }
});
