/**
 * Gradients of a whole model in training mode (BatchNorm on batch statistics, the classifier's
 * loss) against central differences of its float32 loss, and BatchNorm's running statistics
 * against PyTorch's update rule (momentum 0.1, unbiased variance) computed by hand.
 */
import { expect } from 'chai';
import { buildModel } from '../../src/apis/build-model';
import { withEngine } from '../../src/core/engine-context';
import { hostTensor } from '../../src/core/host-tensor';
import { Random, seed } from '../../src/core/random';
import { initBackend } from '../../src/engines/tfjs/backend';
import { TfjsEngine } from '../../src/engines/tfjs/tfjs-engine';
import type { BaseModel } from '../../src/models/base-model';
import type { DataBatch } from '../../src/models/data-preprocessors/data-preprocessor';
import { BatchNorm2d } from '../../src/nn/batch-norm2d';
import { preprocess, trainableParameters } from '../../src/training/runner/train-step';
import { parseLosses } from '../../src/training/parse-losses';
import { ToyClsDataset, toyConfig } from './runner/toy-cls-dataset';

describe('training: whole-model gradients and BatchNorm statistics', function () {
  this.timeout(120000);
  let e: TfjsEngine;
  let model: BaseModel;
  let batch: DataBatch;
  before(async () => {
    await initBackend('cpu');
    e = new TfjsEngine();
    seed(11);
    model = (await buildModel(toyConfig(), {})).model;
    const ds = new ToyClsDataset({ num: 6, size: 16, seed: 2, test_mode: true });
    const items = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => ds.getItem(i, new Random(i))));
    batch = { inputs: items.map((it) => it.inputs), data_samples: items.map((it) => it.data_samples) };
  });

  /** The summed loss at the model's current weights, training mode, without touching BN buffers for good. */
  const loss = () =>
    e.tidy(() =>
      withEngine(e, () => {
        const d = preprocess(model, batch, true);
        return e.readSync(parseLosses(model.forward(d.inputs, d.data_samples, 'loss')).total).data[0] as number;
      }),
    );

  it('matches central differences of the float32 loss within 3% on the largest gradient entries (step 1e-4)', () => {
    model.train();
    const params = trainableParameters(model);
    const grads = e.tidy(() =>
      withEngine(e, () => {
        const d = preprocess(model, batch, true);
        const { grads: g } = e.valueAndGrads(() => parseLosses(model.forward(d.inputs, d.data_samples, 'loss')).total, params);
        return new Map([...g].map(([k, t]) => [k, e.readSync(t).data as Float32Array]));
      }),
    );
    // one weight of the stem, one deep in the last stage, the classifier: the largest |grad| entry of each
    const names = ['backbone.conv1.weight', 'backbone.stage4.0.branches.3.0.conv2.weight', 'head.classifier.weight'];
    for (const name of names) {
      const g = grads.get(name)!;
      let at = 0;
      for (let i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[at])) at = i;
      const p = params.get(name)!;
      const orig = (p.data as Float32Array)[at];
      // small steps: with batch statistics at 16x16 the loss curves sharply (at 1e-2 central differences are 40% off)
      const h = 1e-4 * Math.max(1, Math.abs(orig));
      const set = (v: number) => {
        const d = Float32Array.from(p.data as Float32Array);
        d[at] = v;
        p.set(d);
        e.release(model);
      };
      set(orig + h);
      const up = loss();
      set(orig - h);
      const down = loss();
      set(orig);
      const numeric = (up - down) / (2 * h);
      expect(Math.abs(numeric - g[at]) / Math.abs(g[at]), `${name}[${at}]: autodiff ${g[at]}, central ${numeric}`).to.be.below(0.03);
    }
  });

  it("updates BatchNorm's running statistics as PyTorch: momentum 0.1, unbiased variance", () => {
    const bn = new BatchNorm2d(2).train();
    const x = Float32Array.of(1, 2, 3, 4, 10, 20, 30, 40, 5, 6, 7, 8, 50, 60, 70, 80); // N=2, C=2, 2x2
    withEngine(e, () => e.tidy(() => bn.forward(e.constant(hostTensor('float32', [2, 2, 2, 2], x)))));
    e.pullModule(bn);
    const c0 = [1, 2, 3, 4, 5, 6, 7, 8];
    const c1 = [10, 20, 30, 40, 50, 60, 70, 80];
    const stats = (v: number[]) => {
      const m = v.reduce((a, b) => a + b) / v.length;
      return { m, unbiased: v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1) };
    };
    const [s0, s1] = [stats(c0), stats(c1)];
    const mean = Array.from(bn.runningMean.data as Float32Array);
    const variance = Array.from(bn.runningVar.data as Float32Array);
    expect(mean[0]).to.be.closeTo(0.1 * s0.m, 1e-5);
    expect(mean[1]).to.be.closeTo(0.1 * s1.m, 1e-4);
    expect(variance[0]).to.be.closeTo(0.9 + 0.1 * s0.unbiased, 1e-4);
    expect(variance[1]).to.be.closeTo(0.9 + 0.1 * s1.unbiased, 1e-2);
    expect(Number((bn.numBatchesTracked.data as BigInt64Array)[0])).to.equal(1);
  });
});
