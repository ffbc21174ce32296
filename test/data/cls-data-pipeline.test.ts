import { lossScalar } from '../../src/structures/named-tensors';
/** End to end: the synthetic cls set → mmpretrain-style dataloader configs → a small ImageClassifier (loss, predict) → Accuracy. */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSyntheticDataset } from '../../src/apis/make-dataset';
import { buildModel } from '../../src/apis/build-model';
import { CLS_CLASSES } from '../../src/data/synthetic/cls-generator';
import { buildDataLoader } from '../../src/data/loader';
import { initBackend } from '../../src/engines/tfjs/backend';
import { Accuracy } from '../../src/evaluation/metrics/accuracy';
import type { BaseModel } from '../../src/models/base-model';
import type { DataBatch } from '../../src/models/data-preprocessors/data-preprocessor';
import type { Progress } from '../../src/registry/services';
import { withDefaultScope } from '../../src/registry/registry';
import type { ClsDataSample } from '../../src/structures/cls-data-sample';
import { Harness } from '../core/helpers/backends';
import '../../src/components';

const quiet: Progress = { start: () => ({ tick: () => undefined, stop: () => undefined }) };
const stage = (channels: number[], block = 'BASIC') => ({ num_modules: 1, num_branches: channels.length, block, num_blocks: channels.map(() => 1), num_channels: channels });

describe('cls data pipeline end to end: synthetic set → CustomDataset (mmpretrain scope) → ImageClassifier → Accuracy', function () {
  this.timeout(120000);
  let dir: string;
  let model: BaseModel<ClsDataSample>;
  const h = new Harness();
  const first = async (cfg: unknown) => {
    const loader = withDefaultScope('mmpretrain', () => buildDataLoader<ClsDataSample>(cfg, { path: 'train_dataloader' }));
    return { loader, batch: (await loader[Symbol.asyncIterator]().next()).value as DataBatch<ClsDataSample> };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hrdet-cls-e2e-'));
    await makeSyntheticDataset({ task: 'cls', out: dir, train: 12, val: 6, seed: 3, size: [40, 48], progress: quiet });
    await initBackend('cpu');
    const cfg = {
      model: {
        type: 'ImageClassifier',
        data_preprocessor: { type: 'ClsDataPreprocessor', num_classes: 6, mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], to_rgb: true },
        backbone: { type: 'HRNet', extra: { stage1: stage([8], 'BOTTLENECK'), stage2: stage([4, 8]), stage3: stage([4, 8, 16]), stage4: stage([4, 8, 16, 32]) } },
        head: { type: 'HRNetClsHead', in_channels: [4, 8, 16, 32], head_channels: [2, 4, 8, 16], final_channels: 32, num_classes: 6, loss: { type: 'CrossEntropyLoss', loss_weight: 1.0 }, topk: [1] },
      },
    };
    model = (await buildModel(cfg)).model as BaseModel<ClsDataSample>;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("train (class folders, mmpretrain's ImageNet pipeline with pillow resize): 32x32 crops, labels by folder, finite loss", async () => {
    const { loader, batch } = await first({
      batch_size: 4,
      num_workers: 2,
      sampler: { type: 'DefaultSampler', shuffle: true, seed: 1 },
      dataset: {
        type: 'CustomDataset',
        data_root: dir,
        data_prefix: 'train',
        pipeline: [
          { type: 'LoadImageFromFile' },
          { type: 'RandomResizedCrop', scale: 32, backend: 'pillow' },
          { type: 'RandomFlip', prob: 0.5, direction: 'horizontal' },
          { type: 'PackInputs' },
        ],
      },
    });
    expect(loader.length).to.equal(3);
    // folders sorted: circle, cross, ellipse, rectangle, star, triangle
    expect(loader.dataset.metainfo.classes).to.deep.equal([...CLS_CLASSES].sort());
    expect(batch.inputs.map((i) => i.shape)).to.deep.equal(Array(4).fill([3, 32, 32]));
    for (const s of batch.data_samples) {
      const folder = (s.metainfo.img_path as string).split('/').slice(-2)[0];
      expect([...s.gt_label!]).to.deep.equal([([...CLS_CLASSES].sort() as string[]).indexOf(folder)]);
      expect(s.metainfo).to.have.keys('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'flip', 'flip_direction');
    }
    model.train();
    const losses = h.run(() => {
      const { inputs, data_samples } = model.dataPreprocessor!.process(batch, true);
      const out = model.forward(inputs, data_samples, 'loss');
      return new Map([...out].map(([k, v]) => [k, h.read(lossScalar(v)).data[0] as number]));
    });
    model.eval();
    expect(losses.get('loss')).to.be.a('number').and.satisfy(Number.isFinite).and.be.above(0);
  });

  it('val (ann_file lines and classes.txt): ResizeEdge + CenterCrop, predictions feed Accuracy', async () => {
    const { batch } = await first({
      batch_size: 6,
      sampler: { type: 'DefaultSampler', shuffle: false },
      dataset: {
        type: 'CustomDataset',
        data_root: dir,
        data_prefix: 'val',
        ann_file: 'meta/val.txt',
        classes: join(dir, 'meta/classes.txt'),
        test_mode: true,
        pipeline: [{ type: 'LoadImageFromFile' }, { type: 'ResizeEdge', scale: 36, edge: 'short', backend: 'pillow' }, { type: 'CenterCrop', crop_size: 32 }, { type: 'PackInputs' }],
      },
    });
    // 40x48: short edge 40 -> 36, width int(36 * 48 / 40) = 43; then the central 32x32
    expect(batch.data_samples[0].metainfo.img_shape).to.deep.equal([32, 32]);
    // meta/val.txt labels are the generator's (class index in CLS_CLASSES): image i has class i mod 6
    expect(batch.data_samples.map((s) => s.gt_label![0])).to.deep.equal([0, 1, 2, 3, 4, 5]);
    const preds = h.run(() => {
      const { inputs, data_samples } = model.dataPreprocessor!.process(batch, false);
      return model.forward(inputs, data_samples, 'predict');
    });
    const metric = new Accuracy({ topk: [1, 5] });
    metric.process(null, preds.map((s) => ({ pred_score: [...s.pred_score!], gt_label: s.gt_label![0] })));
    const r = await metric.evaluate(6);
    expect(Object.keys(r).sort()).to.deep.equal(['accuracy/top1', 'accuracy/top5']);
    expect(r['accuracy/top5']).to.be.at.least(r['accuracy/top1'] as number);
  });
});
