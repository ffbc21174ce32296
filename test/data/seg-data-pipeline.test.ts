import { lossScalar } from '../../src/structures/named-tensors';
/** End to end: the synthetic seg set → an mmseg-style dataloader config → a small EncoderDecoder (loss, predict) → IoUMetric. */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSyntheticDataset } from '../../src/apis/make-dataset';
import { buildModel } from '../../src/apis/build-model';
import { buildDataLoader } from '../../src/data/loader';
import { initBackend } from '../../src/engines/tfjs/backend';
import { IoUMetric } from '../../src/evaluation/metrics/iou-metric';
import type { BaseModel } from '../../src/models/base-model';
import type { DataBatch } from '../../src/models/data-preprocessors/data-preprocessor';
import type { Progress } from '../../src/registry/services';
import { withDefaultScope } from '../../src/registry/registry';
import type { SegDataSample } from '../../src/structures/seg-data-sample';
import { Harness } from '../core/helpers/backends';
import '../../src/components';

const quiet: Progress = { start: () => ({ tick: () => undefined, stop: () => undefined }) };
const stage = (channels: number[], block = 'BASIC') => ({ num_modules: 1, num_branches: channels.length, block, num_blocks: channels.map(() => 1), num_channels: channels });

describe('seg data pipeline end to end: synthetic set → BaseSegDataset (mmseg scope) → EncoderDecoder → IoUMetric', function () {
  this.timeout(120000);
  let dir: string;
  let meta: { classes: string[]; palette: number[][] };
  let model: BaseModel<SegDataSample>;
  const h = new Harness();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hrdet-seg-e2e-'));
    await makeSyntheticDataset({ task: 'seg', out: dir, train: 6, val: 2, seed: 2, size: [64, 64], progress: quiet });
    meta = JSON.parse(readFileSync(join(dir, 'classes.json'), 'utf8'));
    await initBackend('cpu');
    const cfg = {
      model: {
        type: 'EncoderDecoder',
        data_preprocessor: { type: 'SegDataPreProcessor', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], bgr_to_rgb: true, size: [32, 32], pad_val: 0, seg_pad_val: 255 },
        backbone: { type: 'HRNet', extra: { stage1: stage([8], 'BOTTLENECK'), stage2: stage([4, 8]), stage3: stage([4, 8, 16]), stage4: stage([4, 8, 16, 32]) } },
        decode_head: {
          type: 'FCNHead', in_channels: [4, 8, 16, 32], in_index: [0, 1, 2, 3], input_transform: 'resize_concat', channels: 12, kernel_size: 1, num_convs: 1,
          concat_input: false, dropout_ratio: -1, num_classes: 7, norm_cfg: { type: 'BN', requires_grad: true }, align_corners: false,
          loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
        },
      },
    };
    model = (await buildModel(cfg)).model as BaseModel<SegDataSample>;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const dataset = (split: string, pipeline: unknown[]) => ({
    type: 'BaseSegDataset',
    data_root: dir,
    data_prefix: { img_path: `img_dir/${split}`, seg_map_path: `ann_dir/${split}` },
    metainfo: meta,
    pipeline,
  });

  it('train: mmseg augmentations give 32x32 crops with labels among the classes; one batch gives a finite loss', async () => {
    const train = {
      batch_size: 3,
      num_workers: 2,
      sampler: { type: 'DefaultSampler', shuffle: true, seed: 4 },
      dataset: dataset('train', [
        { type: 'LoadImageFromFile' },
        { type: 'LoadAnnotations', reduce_zero_label: false },
        { type: 'RandomResize', scale: [128, 64], ratio_range: [0.5, 2.0], keep_ratio: true },
        { type: 'RandomCrop', crop_size: [32, 32], cat_max_ratio: 0.75 },
        { type: 'RandomFlip', prob: 0.5 },
        { type: 'PhotoMetricDistortion' },
        { type: 'PackSegInputs' },
      ]),
    };
    const loader = withDefaultScope('mmseg', () => buildDataLoader<SegDataSample>(train, { path: 'train_dataloader' }));
    expect(loader.length).to.equal(2);
    const batch = (await loader[Symbol.asyncIterator]().next()).value as DataBatch<SegDataSample>;
    expect(batch.inputs.map((i) => i.shape)).to.deep.equal([[3, 32, 32], [3, 32, 32], [3, 32, 32]]);
    for (const s of batch.data_samples) {
      const g = s.gt_sem_seg!;
      expect(g.shape).to.deep.equal([1, 32, 32]);
      expect([...new Set(Array.from(g.array as Int32Array))].every((v) => (v >= 0 && v < 7) || v === 255)).to.equal(true);
      expect(s.metainfo).to.have.keys('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label');
      expect(s.metainfo.ori_shape).to.deep.equal([64, 64]);
    }
    // the same seed gives the same batch
    const again = (await withDefaultScope('mmseg', () => buildDataLoader<SegDataSample>(train))[Symbol.asyncIterator]().next()).value as DataBatch<SegDataSample>;
    expect([...again.inputs[1].data]).to.deep.equal([...batch.inputs[1].data]);
    model.train();
    const losses = h.run(() => {
      const { inputs, data_samples } = model.dataPreprocessor!.process(batch, true);
      const out = model.forward(inputs, data_samples, 'loss');
      return new Map([...out].map(([k, v]) => [k, h.read(lossScalar(v)).data[0] as number]));
    });
    model.eval();
    expect(losses.get('decode.loss_ce')).to.be.a('number').and.satisfy(Number.isFinite).and.be.above(0);
  });

  it('val: predictions at the original size feed IoUMetric', async () => {
    const val = {
      batch_size: 2,
      sampler: { type: 'DefaultSampler', shuffle: false },
      dataset: { ...dataset('val', [{ type: 'LoadImageFromFile' }, { type: 'Resize', scale: [48, 48], keep_ratio: true }, { type: 'LoadAnnotations' }, { type: 'PackSegInputs' }]), test_mode: true },
    };
    const loader = withDefaultScope('mmseg', () => buildDataLoader<SegDataSample>(val, { path: 'val_dataloader' }));
    const batch = (await loader[Symbol.asyncIterator]().next()).value as DataBatch<SegDataSample>;
    expect(batch.inputs[0].shape).to.deep.equal([3, 48, 48]);
    // the label map stays at the original size (annotations are loaded after the resize)
    expect(batch.data_samples[0].gt_sem_seg!.shape).to.deep.equal([1, 64, 64]);
    const preds = h.run(() => {
      const { inputs, data_samples } = model.dataPreprocessor!.process(batch, false);
      return model.forward(inputs, data_samples, 'predict');
    });
    const metric = new IoUMetric();
    metric.datasetMeta = { classes: meta.classes };
    metric.process(
      null,
      preds.map((s) => ({ pred_sem_seg: s.pred_sem_seg!.array as Int32Array, gt_sem_seg: s.gt_sem_seg!.array as Int32Array, height: 64, width: 64 })),
    );
    const r = await metric.evaluate(2);
    expect(preds[0].pred_sem_seg!.shape).to.deep.equal([1, 64, 64]);
    expect(r.aAcc).to.be.within(0, 100);
    expect(Object.keys(r).sort()).to.deep.equal(['aAcc', 'mAcc', 'mIoU']);
  });
});
