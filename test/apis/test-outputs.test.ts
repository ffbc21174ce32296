import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { buildModel } from '../../src/apis/build-model';
import { makeSyntheticDataset } from '../../src/apis/make-dataset';
import { test as runTest } from '../../src/apis/test';
import { COCO_CLASSES } from '../../src/data/datasets/coco-classes';
import { initBackend } from '../../src/engines/tfjs/backend';
import { CocoEval, CocoGroundTruth, loadCocoResults } from '../../src/evaluation/coco';
import { loadCheckpoint } from '../../src/io/checkpoint';
import { saveTrainingCheckpoint } from '../../src/io/training-checkpoint';
import { createContainer } from '../../src/registry/container';
import { SilentLogger, type Progress } from '../../src/registry/services';
import { decodeRle, rleFromCoco } from '../../src/structures/mask';
import { sharedFixtures } from '../fixture-root';

const quiet: Progress = { start: () => ({ tick: () => undefined, stop: () => undefined }) };
const ROOT = resolve(__dirname, '../../..');
const container = () => createContainer({ logger: new SilentLogger(), progress: quiet });

describe('hrdet test --out / --show-dir: COCO results and drawn predictions', function () {
  this.timeout(120000);
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hrdet-test-out-'));
    await initBackend('wasm');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('Mask R-CNN: segm records (box, score, RLE) in the original frame — the records CocoMetric itself writes — and one PNG per image', async () => {
    const data = join(dir, 'det');
    await makeSyntheticDataset({ task: 'det', out: data, train: 0, val: 2, seed: 7, size: [120, 150], progress: quiet });
    // the fixture detector has COCO's 80 classes: the synthetic categories renamed to COCO's first six
    const gt = JSON.parse(readFileSync(join(data, 'annotations/instances_val.json'), 'utf8'));
    const ids = gt.categories.map((c: { id: number }) => c.id);
    gt.categories = COCO_CLASSES.map((name, i) => ({ id: i + 1, name }));
    for (const a of gt.annotations) a.category_id = ids.indexOf(a.category_id) + 1;
    const ann = join(data, 'annotations/coco80_val.json');
    writeFileSync(ann, JSON.stringify(gt));
    const fixture = join(sharedFixtures(), 'det', 'mask_rcnn_tiny');
    const { model } = JSON.parse(readFileSync(join(fixture, 'config.json'), 'utf8'));
    const prefix = join(dir, 'metric');
    const cfg = join(dir, 'mask.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        model,
        test_dataloader: {
          batch_size: 2,
          sampler: { type: 'DefaultSampler', shuffle: false },
          dataset: {
            type: 'CocoDataset',
            ann_file: ann,
            data_prefix: { img: join(data, 'val') },
            test_mode: true,
            pipeline: [{ type: 'LoadImageFromFile' }, { type: 'Resize', scale: [150, 120], keep_ratio: true }, { type: 'LoadAnnotations', with_bbox: true }, { type: 'PackDetInputs', meta_keys: ['img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'] }],
          },
        },
        test_evaluator: { type: 'CocoMetric', ann_file: ann, metric: ['bbox', 'segm'], outfile_prefix: prefix },
        test_cfg: { type: 'TestLoop' },
      }),
    );
    const out = join(dir, 'results.json');
    const show = join(dir, 'show');
    // hrdet test reads mmengine checkpoints (meta, state_dict): the fixture's bare state dict wrapped in one
    const ckpt = join(dir, 'mask.pth');
    await saveTrainingCheckpoint(ckpt, { meta: {}, stateDict: (await loadCheckpoint(join(fixture, 'state_dict.pth'))).stateDict });
    const r = await runTest(cfg, ckpt, { workDir: join(dir, 'wd'), out, showDir: show, container: container() });
    const records = JSON.parse(readFileSync(out, 'utf8'));
    expect(records.length).to.be.greaterThan(0);
    // the same records as mmdetection's <prefix>.segm.json, which the metric wrote from the same predictions
    expect(records).to.deep.equal(JSON.parse(readFileSync(`${prefix}.segm.json`, 'utf8')));
    const imageIds = new Set(gt.images.map((im: { id: number }) => im.id));
    for (const rec of records) {
      expect(imageIds.has(rec.image_id)).to.equal(true);
      expect(rec.category_id).to.be.within(1, 80);
      expect(rec.bbox).to.have.length(4);
      expect(rec.segmentation.size).to.deep.equal([120, 150]);
      expect(rec.segmentation.counts).to.be.a('string');
      expect(decodeRle(rleFromCoco(rec.segmentation)).length).to.equal(120 * 150);
    }
    // pycocotools-style evaluation of the file gives the metric's numbers
    const cocoGt = CocoGroundTruth.fromFile(ann);
    const catIds = cocoGt.dataset.categories.map((c) => c.id);
    const evalOf = (iouType: 'bbox' | 'segm', recs: unknown[]) => new CocoEval(cocoGt, loadCocoResults(cocoGt, recs, iouType), iouType, { catIds, imgIds: cocoGt.imageIds }).run().stats[0];
    const round3 = (v: number) => Math.round(v * 1000) / 1000;
    expect(round3(evalOf('bbox', records.map(({ segmentation: _s, ...b }: Record<string, unknown>) => b)))).to.equal(r.metrics['coco/bbox_mAP']);
    expect(round3(evalOf('segm', records.map(({ bbox: _b, ...s }: Record<string, unknown>) => s)))).to.equal(r.metrics['coco/segm_mAP']);
    // one drawing per test image, at the original size
    expect(readdirSync(show).sort()).to.deep.equal(gt.images.map((im: { file_name: string }) => im.file_name.replace(/\.[^.]+$/, '.png')).sort());
    const meta = await sharp(join(show, readdirSync(show)[0])).metadata();
    expect([meta.width, meta.height]).to.deep.equal([150, 120]);
  });

  it('top-down pose: keypoints records (x, y, score per keypoint; mmpose rescoring) covering what CocoMetric keeps after OKS NMS', async () => {
    const data = join(dir, 'pose');
    await makeSyntheticDataset({ task: 'pose', out: data, train: 0, val: 2, seed: 3, size: [96, 96], progress: quiet });
    const shipped = join(ROOT, 'configs/synthetic/td-hm_hrnet-w18-small_synthetic-256x192.json');
    const { model } = await buildModel(shipped);
    const ckpt = join(dir, 'pose.pth');
    await saveTrainingCheckpoint(ckpt, { meta: {}, stateDict: model.stateDict() });
    const prefix = join(dir, 'pose-metric');
    const ann = join(data, 'annotations/person_keypoints_val.json');
    const out = join(dir, 'pose-results.json');
    const show = join(dir, 'pose-show');
    const cfgOptions = [`val_dataloader.dataset.data_root=${data}`, `val_evaluator.ann_file=${ann}`, `val_evaluator.outfile_prefix=${prefix}`, 'model.test_cfg.flip_test=false'];
    await runTest(shipped, ckpt, { split: 'val', workDir: join(dir, 'pose-wd'), out, showDir: show, cfgOptions, container: container() });
    const records = JSON.parse(readFileSync(out, 'utf8'));
    const persons = JSON.parse(readFileSync(ann, 'utf8')).annotations.filter((a: { num_keypoints: number }) => a.num_keypoints > 0).length;
    expect(records).to.have.length(persons);
    for (const rec of records) {
      expect(rec.category_id).to.equal(1);
      expect(rec.keypoints).to.have.length(17 * 3);
      const scores = rec.keypoints.filter((_: number, i: number) => i % 3 === 2);
      const above = scores.filter((s: number) => s > 0.2);
      expect(rec.score).to.be.closeTo(above.length ? above.reduce((a: number, b: number) => a + b, 0) / above.length : 0, 1e-6);
    }
    // every record mmpose's metric kept (after its OKS NMS) is one of ours, with the same numbers
    const kept = JSON.parse(readFileSync(`${prefix}.keypoints.json`, 'utf8'));
    expect(kept.length).to.be.greaterThan(0);
    for (const k of kept) {
      const same = records.find((rec: { image_id: number; keypoints: number[] }) => rec.image_id === k.image_id && rec.keypoints.every((v, i) => Math.abs(v - k.keypoints[i]) < 1e-4));
      expect(same, `record of image ${k.image_id}`).to.not.equal(undefined);
      expect(same.score).to.be.closeTo(k.score, 1e-6);
    }
    expect(readdirSync(show)).to.have.length(2); // the persons of one image drawn together
    expect(existsSync(join(dir, 'pose-wd'))).to.equal(true);
  });

  it('--out for a model kind without COCO results is one clear error', async () => {
    const { TestOutputsHook } = await import('../../src/apis/test-outputs');
    const { SegDataSample } = await import('../../src/structures/seg-data-sample');
    const hook = new TestOutputsHook({ out: join(dir, 'x.json') });
    let err: Error | null = null;
    try {
      await hook.afterTestIter!({} as never, 0, {}, [new SegDataSample({ img_path: 'a.png' })]);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/^--out writes COCO-format results, which detection and pose models give; a SegDataSample has none/);
  });
});
