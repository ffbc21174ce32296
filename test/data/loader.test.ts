import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSyntheticDataset } from '../../src/apis/make-dataset';
import { buildDataLoader } from '../../src/data/loader';
import { DefaultSampler } from '../../src/data/default-sampler';
import { DetDataPreprocessor, detDataPreprocessorSchema } from '../../src/models/data-preprocessors/det-data-preprocessor';
import type { DetDataSample } from '../../src/structures/det-data-sample';
import type { Boxes } from '../../src/structures/boxes';
import type { Progress } from '../../src/registry/services';
import { initBackend } from '../../src/engines/tfjs/backend';
import { Harness } from '../core/helpers/backends';
import '../../src/components';

const quiet: Progress = { start: () => ({ tick: () => undefined, stop: () => undefined }) };
const CLASSES = ['circle', 'ellipse', 'rectangle', 'triangle', 'star', 'cross'];

describe('DefaultSampler', () => {
  it('shuffles with seed + epoch: a permutation, repeated by the seed, new each epoch', () => {
    const s = new DefaultSampler(50, true, 4);
    const e0 = s.indices();
    expect([...e0].sort((a, b) => a - b)).to.deep.equal([...Array(50).keys()]);
    expect(new DefaultSampler(50, true, 4).indices()).to.deep.equal(e0);
    s.setEpoch(1);
    expect(s.indices()).to.not.deep.equal(e0);
    expect(new DefaultSampler(5, false).indices()).to.deep.equal([0, 1, 2, 3, 4]);
  });
});

describe('data loader end to end: synthetic COCO set → CocoDataset → test pipeline → DetDataPreprocessor', () => {
  let dir: string;
  before(async function () {
    this.timeout(30000);
    dir = mkdtempSync(join(tmpdir(), 'hrdet-e2e-'));
    await makeSyntheticDataset({ task: 'det', out: dir, train: 0, val: 3, seed: 1, size: [48, 64], progress: quiet });
    await initBackend('cpu');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const pipelines = {
    // mmdetection's test pipeline: annotations are read after the resize, so they stay in original coordinates
    test: [
      { type: 'LoadImageFromFile' },
      { type: 'Resize', scale: [100, 60], keep_ratio: true },
      { type: 'LoadAnnotations', with_bbox: true },
      { type: 'PackDetInputs', meta_keys: ['img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'] },
    ],
    // the training order: annotations first, so Resize scales them
    train: [
      { type: 'LoadImageFromFile' },
      { type: 'LoadAnnotations', with_bbox: true },
      { type: 'Resize', scale: [100, 60], keep_ratio: true },
      { type: 'PackDetInputs', meta_keys: ['img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'] },
    ],
  };
  for (const [order, pipeline] of Object.entries(pipelines)) it(`${order} pipeline: one batch has the metas, the padded batch shape and the boxes ${order === 'train' ? 'scaled by 1.25' : 'as annotated'}`, async () => {
    const f = order === 'train' ? 1.25 : 1;
    const cfg = {
      batch_size: 2,
      num_workers: 2,
      sampler: { type: 'DefaultSampler', shuffle: false },
      dataset: {
        type: 'CocoDataset',
        data_root: dir,
        ann_file: 'annotations/instances_val.json',
        data_prefix: { img: 'val/' },
        metainfo: { classes: CLASSES },
        test_mode: true,
        pipeline,
      },
    };
    const loader = buildDataLoader<DetDataSample>(cfg, { path: 'val_dataloader' });
    expect(loader.length).to.equal(2);
    const batches = [];
    for await (const b of loader) batches.push(b);
    expect(batches.map((b) => b.inputs.length)).to.deep.equal([2, 1]);
    const batch = batches[0];
    // 48x64 into (100, 60): f = min(100/64, 60/48) = 1.25 -> 60x80
    expect(batch.inputs[0].shape).to.deep.equal([3, 60, 80]);
    const pre = new DetDataPreprocessor(detDataPreprocessorSchema.parse({ mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], bgr_to_rgb: true, pad_size_divisor: 32 }));
    const h = new Harness();
    const out = h.run(() => pre.process(batch, false));
    expect(out.inputs.shape).to.deep.equal([2, 3, 64, 96]);
    // BGR to RGB, then (x - mean) / std: output channel 0 of pixel 0 is input channel 2
    const first = (h.read(out.inputs).data as Float32Array)[0];
    expect(first).to.be.closeTo((Number(batch.inputs[0].data[2 * 60 * 80]) - 123.675) / 58.395, 1e-5);
    const gt = JSON.parse(readFileSync(join(dir, 'annotations/instances_val.json'), 'utf8'));
    for (const [k, s] of out.data_samples.entries()) {
      const m = s.metainfo;
      expect(m.img_id).to.equal(gt.images[k].id);
      expect(m.img_path).to.equal(join(dir, 'val', gt.images[k].file_name));
      expect(m.ori_shape).to.deep.equal([48, 64]);
      expect(m.img_shape).to.deep.equal([60, 80]);
      expect(m.scale_factor).to.deep.equal([1.25, 1.25]);
      expect(m.batch_input_shape).to.deep.equal([64, 96]);
      expect(m.pad_shape).to.deep.equal([64, 96]);
      // every non-crowd annotation of the image, as xyxy (scaled by f)
      const anns = gt.annotations.filter((a: any) => a.image_id === m.img_id && !a.iscrowd && a.bbox[2] >= 1 && a.bbox[3] >= 1);
      const want = anns.map((a: any) => [a.bbox[0], a.bbox[1], a.bbox[0] + a.bbox[2], a.bbox[1] + a.bbox[3]].map((v: number) => v * f));
      const got = (s.gt_instances!.bboxes as Boxes).rows();
      expect(got.length).to.equal(anns.length).and.to.be.greaterThan(0);
      got.forEach((row, i) => row.forEach((v, j) => expect(v).to.be.closeTo(Math.min(want[i][j], (j % 2 ? 48 : 64) * f), 1e-4)));
      expect([...(s.gt_instances!.labels as Int32Array)]).to.deep.equal(anns.map((a: any) => CLASSES.indexOf(gt.categories.find((c: any) => c.id === a.category_id).name)));
    }
  });

  it('a bad loader option names its config path', () => {
    expect(() => buildDataLoader({ batch_size: 0, dataset: {} }, { path: 'val_dataloader' })).to.throw(/val_dataloader\.batch_size/);
    expect(() => buildDataLoader({ dataset: { type: 'CocoDataset', ann_file: 'x.json', lazy_init: true, pipeline: [{ type: 'Rezise' }] } }, { path: 'val_dataloader' })).to.throw(/val_dataloader\.dataset\.pipeline\.0\.type: unknown transform type 'Rezise'/);
  });
});
