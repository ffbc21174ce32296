/** The EMA averages against hand-computed values: step 0 copies, then avg += m (src - avg). */
import { expect } from 'chai';
import { withEngine } from '../../../src/core/engine-context';
import { Module } from '../../../src/core/module';
import { Parameter } from '../../../src/core/parameter';
import { TfjsEngine } from '../../../src/engines/tfjs/tfjs-engine';
import { initBackend } from '../../../src/engines/tfjs/backend';
import { ExpMomentumEMA } from '../../../src/training/ema/exp-momentum-ema';
import { ExponentialMovingAverage } from '../../../src/training/ema/exponential-moving-average';
import { hostTensor } from '../../../src/core/host-tensor';

class One extends Module {
  readonly w: Parameter;
  constructor() {
    super();
    this.w = this.addParameter('w', [2]);
    this.w.set(Float32Array.of(1, 2));
  }
}

describe('training: EMA averages', () => {
  let e: TfjsEngine;
  before(async () => {
    await initBackend('cpu');
    e = new TfjsEngine();
  });
  const read = (p: Parameter) => Array.from(e.readSync(e.parameter(p)).data as Float32Array);

  it('ExponentialMovingAverage: copy at step 0, then lerp with the constant momentum; interval skips', () =>
    withEngine(e, () => {
      const m = new One();
      const ema = new ExponentialMovingAverage(m, 0.5, 2);
      ema.update(); // step 0: copy
      e.assign(m.w, e.constant(hostTensor('float32', [2], Float32Array.of(3, 6))));
      ema.update(); // step 1: 1 % 2 != 0, unchanged
      const avg = ema.averages.get('w')!.avg;
      expect(read(avg)).to.deep.equal([1, 2]);
      ema.update(); // step 2: avg + 0.5 (src - avg)
      expect(read(avg)).to.deep.equal([2, 4]);
      expect(ema.steps).to.equal(3);
      ema.swap();
      expect(read(m.w)).to.deep.equal([2, 4]);
      expect(read(avg)).to.deep.equal([3, 6]);
      const sd = ema.stateDict();
      expect([...sd.keys()]).to.deep.equal(['module.w', 'steps']);
      expect(Number(sd.get('steps')!.data[0])).to.equal(3);
    }));

  it("ExpMomentumEMA: the model's weight is (1 - m) exp(-(1 + steps) / gamma) + m", () =>
    withEngine(e, () => {
      const m = new One();
      const ema = new ExpMomentumEMA(m, 0.0002, 2);
      ema.update();
      e.assign(m.w, e.constant(hostTensor('float32', [2], Float32Array.of(3, 6))));
      ema.update(); // steps = 1: weight (1 - 0.0002) * exp(-2 / 2) + 0.0002
      const k = 0.9998 * Math.exp(-1) + 0.0002;
      const got = read(ema.averages.get('w')!.avg);
      expect(got[0]).to.be.closeTo(1 + k * 2, 1e-6);
      expect(got[1]).to.be.closeTo(2 + k * 4, 1e-6);
    }));
});
