import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { makeSyntheticDataset } from '../../../src/apis/make-dataset';
import { buildModel } from '../../../src/apis/build-model';
import { testSplitFrom } from '../../../src/apis/benchmark/evaluate-checkpoint';
import { initBackend } from '../../../src/engines/tfjs/backend';
import { DET_CATEGORIES } from '../../../src/data/synthetic/det-generator';
import { saveTrainingCheckpoint } from '../../../src/io/training-checkpoint';
import { FileError, ConfigError } from '../../../src/core/errors';
import type { Progress } from '../../../src/registry/services';
import { hrdetAsync, ROOT } from '../../cli/run-cli';

const quiet: Progress = { start: () => ({ tick: () => {}, stop: () => {} }) };
const TINY = join(ROOT, 'test', 'apis', 'benchmark', 'tiny-faster-rcnn.json');

/** The tiny two-stage detector with 6 classes, reading the synthetic det set's val split under `data`. */
function detConfig(data: string): Record<string, unknown> {
  const pipeline = [
    { type: 'LoadImageFromFile' },
    { type: 'Resize', scale: [64, 64], keep_ratio: true },
    { type: 'LoadAnnotations', with_bbox: true },
    { type: 'PackDetInputs', meta_keys: ['img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'] },
  ];
  return {
    _base_: TINY,
    model: { roi_head: { bbox_head: { num_classes: 6 } } },
    test_dataloader: {
      batch_size: 1,
      sampler: { type: 'DefaultSampler', shuffle: false },
      dataset: { type: 'CocoDataset', data_root: data, metainfo: { classes: DET_CATEGORIES.map((c) => c.name) }, ann_file: 'annotations/instances_val.json', data_prefix: { img: 'val/' }, test_mode: true, pipeline },
    },
    test_evaluator: { type: 'CocoMetric', ann_file: join(data, 'annotations/instances_val.json'), metric: 'bbox' },
    test_cfg: { type: 'TestLoop' },
  };
}

describe('benchmark accuracy: --checkpoint with --dataset gives each row the metrics of hrdet test', function () {
  this.timeout(300000);
  const dir = mkdtempSync(join(tmpdir(), 'hrdet-bench-acc-'));
  const data = join(dir, 'data');
  const other = join(dir, 'other');
  const cfg = join(dir, 'tiny-det.json');
  const ckpt = join(dir, 'tiny-det.pth');

  before(async () => {
    await initBackend('wasm');
    await makeSyntheticDataset({ task: 'det', out: data, train: 1, val: 3, size: [64, 64], progress: quiet });
    // a second copy of the same val split, to be named by a test config
    await makeSyntheticDataset({ task: 'det', out: other, train: 1, val: 3, size: [64, 64], progress: quiet });
    writeFileSync(cfg, JSON.stringify(detConfig(join(dir, 'nowhere'))));
    writeFileSync(join(dir, 'other-test.json'), JSON.stringify(detConfig(other)));
    const { model } = await buildModel(cfg);
    await saveTrainingCheckpoint(ckpt, { meta: {}, stateDict: model.stateDict() });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a folder: the config\'s own test split read from there; a test config: its loader and evaluator', () => {
    expect(testSplitFrom(cfg, data)).to.deep.equal({
      test_dataloader: { dataset: { data_root: data } },
      test_evaluator: { ann_file: join(data, 'annotations/instances_val.json') },
    });
    const fromConfig = testSplitFrom(cfg, join(dir, 'other-test.json')) as Record<string, Record<string, unknown>>;
    expect(fromConfig.test_dataloader._delete_).to.equal(true);
    expect((fromConfig.test_dataloader.dataset as Record<string, unknown>).data_root).to.equal(other);
    expect(fromConfig.test_evaluator).to.deep.include({ _delete_: true, type: 'CocoMetric', ann_file: join(other, 'annotations/instances_val.json') });
  });

  it('refuses a missing dataset, a folder without the annotation file and a config without a test split, in one line', () => {
    expect(() => testSplitFrom(cfg, join(dir, 'missing'))).to.throw(FileError, /no such test config or dataset folder/);
    expect(() => testSplitFrom(cfg, dir)).to.throw(FileError, /annotations\/instances_val\.json: --dataset .*test annotation file/);
    writeFileSync(join(dir, 'no-test.json'), JSON.stringify({ _base_: TINY }));
    expect(() => testSplitFrom(cfg, join(dir, 'no-test.json'))).to.throw(ConfigError, /test_dataloader: --dataset names a config without test_dataloader/);
  });

  it('hrdet benchmark --dataset DIR and --dataset CONFIG fill every row with the metrics hrdet test prints', async () => {
    const reference = await hrdetAsync(['test', join(dir, 'other-test.json'), ckpt, '--work-dir', join(dir, 'test-run'), '--backend', 'wasm']);
    expect(reference.code, reference.stderr).to.equal(0);
    // rows keep the numeric metrics (not the copy-paste string)
    const expected = Object.fromEntries(Object.entries(JSON.parse(reference.stdout) as Record<string, unknown>).filter(([, v]) => typeof v === 'number'));
    expect(expected['coco/bbox_mAP']).to.be.a('number');
    for (const dataset of [other, join(dir, 'other-test.json')]) {
      const out = join(dir, `bench-${dataset === other ? 'dir' : 'cfg'}`);
      const r = await hrdetAsync(['benchmark', cfg, '--checkpoint', `tiny-det=${ckpt}`, '--dataset', dataset, '--shape', '3,64,64', '--iters', '1', '--warmup', '0', '--out-dir', out, '--backend', 'wasm']);
      expect(r.code, r.stderr).to.equal(0);
      const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { rows: { engine: string; metrics: Record<string, number> }[]; notes: string[] };
      expect(results.rows.map((x) => x.engine)).to.deep.equal(['tfjs', 'onnx']);
      for (const row of results.rows) expect(row.metrics, `${dataset} ${row.engine}`).to.deep.equal(expected);
      expect(results.notes.join(' ')).not.to.match(/accuracy not measured/);
      const md = readFileSync(join(out, 'report.md'), 'utf8');
      expect(md).to.match(/\| model \| engine \| batch \| box AP \| AP50 \|/);
      expect(md).to.match(/\| model \| AP \| AP50 \| AP75 \| APs \| APm \| APl \|/);
      const html = readFileSync(join(out, 'report.html'), 'utf8');
      expect(html).to.contain('id="chart-ap-vs-latency"');
      expect(html).not.to.contain('No metrics: run with --checkpoint');
    }
  });
});
