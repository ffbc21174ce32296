import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { demoConfig, FULL_BUDGET, QUICK_BUDGET } from '../../../src/apis/demo/demo-budget';
import { DEMO_MODELS } from '../../../src/apis/demo/run-demo';
import { loadConfig } from '../../../src/config';
import { ROOT } from '../../cli/run-cli';

describe('demo budget: the shipped synthetic configs with the schedule shortened', () => {
  for (const m of DEMO_MODELS) {
    for (const b of [FULL_BUDGET, QUICK_BUDGET]) {
      it(`${m.config} at the ${b.name} budget`, () => {
        const dir = mkdtempSync(join(tmpdir(), 'hrdet-demo-cfg-'));
        const file = join(dir, 'cfg.json');
        writeFileSync(file, JSON.stringify(demoConfig(join(ROOT, m.config), join(dir, 'data'), b)));
        const { config: c } = loadConfig(file);
        const at = (p: string) => p.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], c);
        expect(at('train_cfg')).to.deep.equal({ type: 'IterBasedTrainLoop', max_iters: b.iterations });
        expect(at('train_dataloader.batch_size')).to.equal(b.batchSize);
        expect(at('train_dataloader.dataset.data_root')).to.equal(join(dir, 'data'));
        expect(at('test_dataloader.dataset.data_root')).to.equal(join(dir, 'data'));
        expect(at('test_evaluator.ann_file')).to.equal(join(dir, 'data', 'annotations/instances_val.json'));
        expect(at('test_evaluator.type')).to.equal('CocoMetric');
        expect(at('val_dataloader')).to.equal(null);
        expect(at('model.train_cfg.rcnn.sampler.num')).to.equal(b.sampledRois);
        expect(at('model.train_cfg.rcnn.sampler.pos_fraction')).to.equal(0.25); // the shipped sampler otherwise
        expect(at('model.test_cfg.rpn.max_per_img')).to.equal(b.testProposals);
        expect(at('model.roi_head.bbox_head.num_classes')).to.equal(6);
        expect(at('optim_wrapper.optimizer')).to.deep.include({ type: 'SGD', lr: b.lr, momentum: 0.9 });
        expect(at('default_hooks.checkpoint')).to.deep.equal({ type: 'CheckpointHook', by_epoch: false, interval: b.checkpointInterval, max_keep_ckpts: 1 });
        expect(at('input_shape')).to.deep.equal([3, b.imageSize, b.imageSize]);
        const resize = (at('train_dataloader.dataset.pipeline') as { type: string; scale?: number[] }[]).find((t) => t.type === 'Resize');
        expect(resize?.scale).to.deep.equal([b.imageSize, b.imageSize]);
      });
    }
  }
});
