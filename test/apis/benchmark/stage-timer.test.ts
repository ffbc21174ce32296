import { join } from 'node:path';
import { expect } from 'chai';
import { buildModel } from '../../../src/apis/build-model';
import { TfjsRunner, restoreStageTimers } from '../../../src/apis/benchmark/engine-runners';
import { STAGES } from '../../../src/apis/benchmark/stage-timer';
import { initBackend } from '../../../src/engines/tfjs/backend';
import type { FCOS } from '../../../src/models/detectors/fcos';
import { ROOT } from '../../cli/run-cli';

describe('benchmark stage timer (tfjs)', function () {
  this.timeout(60000);
  before(() => initBackend('wasm'));

  it('splits a predict run into backbone, neck, heads and post-processing that add up to it, then puts the forwards back', async () => {
    const model = (await buildModel(join(ROOT, 'test', 'apis', 'benchmark', 'tiny-fcos.json'))).model as FCOS;
    const ownForward = Object.prototype.hasOwnProperty.call(model.backbone, 'forward');
    const original = (model.backbone as unknown as { forward: unknown }).forward;
    const runner = new TfjsRunner(model, [1, 3, 64, 64], 0);
    try {
      const { ms, stages } = await runner.run();
      for (const s of STAGES) expect(stages[s], s).to.be.a('number').and.at.least(0);
      expect(stages.backbone).to.be.above(0);
      expect(stages.heads).to.be.above(0);
      const sum = STAGES.reduce((t, s) => t + stages[s], 0);
      expect(sum).to.be.closeTo(ms, 1e-6);
      expect(stages['heads.bbox_head']).to.be.closeTo(stages.heads, 1e-9);
    } finally {
      restoreStageTimers();
    }
    expect(Object.prototype.hasOwnProperty.call(model.backbone, 'forward')).to.equal(ownForward);
    expect((model.backbone as unknown as { forward: unknown }).forward).to.equal(original);
  });
});
