import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AspectRatioBatchSampler } from '../../src/data/aspect-ratio-batch-sampler';
import { buildDataLoader } from '../../src/data/loader';
import '../../src/components';

// portrait (w < h) or not, per index: p p l p l l l p p (square counts as landscape, as mmdet)
const SIZES = [[3, 5], [2, 9], [8, 4], [1, 2], [5, 5], [9, 3], [7, 6], [4, 6], [3, 4]].map(([width, height]) => ({ width, height }));
const sampler = (batch_size: number, drop_last = false) => new AspectRatioBatchSampler({ batch_size, drop_last, size_of: (i) => SIZES[i] });

describe("AspectRatioBatchSampler (mmdet's)", () => {
  it('emits a bucket when it fills, then the leftovers portrait first, cut into batches', () => {
    const order = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    // portrait 0 1 3 7 8, landscape 2 4 5 6: buckets of 2 fill at 1, 4, 6, 7; left [8]
    expect(sampler(2).batches(order)).to.deep.equal([[0, 1], [2, 4], [5, 6], [3, 7], [8]]);
    // batches of 3: [0 1 3] when 3 arrives, [2 4 5] at 5; left portrait 7 8 + landscape 6 → [7 8 6]
    expect(sampler(3).batches(order)).to.deep.equal([[0, 1, 3], [2, 4, 5], [7, 8, 6]]);
    // batches of 4: [2 4 5 6] at 6, then [0 1 3 7] at 7; left [8]
    expect(sampler(4).batches(order)).to.deep.equal([[2, 4, 5, 6], [0, 1, 3, 7], [8]]);
    expect(sampler(4, true).batches(order)).to.deep.equal([[2, 4, 5, 6], [0, 1, 3, 7]]);
    // the sampler's order decides what fills first
    expect(sampler(2).batches([8, 6, 7, 5, 4, 3, 2, 1, 0])).to.deep.equal([[8, 7], [6, 5], [4, 2], [3, 1], [0]]);
  });

  it("leftovers longer than a batch are cut; with drop_last a last chunk of exactly batch_size is dropped too, as mmdet's loop does", () => {
    // batch 5: the portrait bucket fills at 8 → [0 1 3 7 8]; left landscape 2 4 5 6 (shorter), dropped with drop_last
    expect(sampler(5).batches([0, 1, 2, 3, 4, 5, 6, 7, 8])).to.deep.equal([[0, 1, 3, 7, 8], [2, 4, 5, 6]]);
    expect(sampler(5, true).batches([0, 1, 2, 3, 4, 5, 6, 7, 8])).to.deep.equal([[0, 1, 3, 7, 8]]);
    // batch 3, order 2 0 4 1: left portrait [0 1], landscape [2 4] → [0 1 2] then [4]
    expect(sampler(3).batches([2, 0, 4, 1])).to.deep.equal([[0, 1, 2], [4]]);
    // batch 2, order 0 2 (one each): left [0 2] is exactly batch_size: mmdet drops it with drop_last
    expect(sampler(2, true).batches([0, 2])).to.deep.equal([]);
    expect(sampler(2, true).length(2)).to.equal(1); // while __len__ says floor(2 / 2)
    expect(sampler(4).length(9)).to.equal(3);
    expect(sampler(4, true).length(9)).to.equal(2);
  });

  it('batch_sampler=dict(type=AspectRatioBatchSampler) in a loader: batches of one orientation from the dataset sizes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrdet-arbs-'));
    try {
      const images = SIZES.map((s, i) => ({ id: i + 1, file_name: `${i}.png`, ...s }));
      writeFileSync(join(dir, 'ann.json'), JSON.stringify({ images, annotations: [], categories: [{ id: 1, name: 'thing' }] }));
      const cfg = { batch_size: 3, sampler: { type: 'DefaultSampler', shuffle: false }, batch_sampler: { type: 'AspectRatioBatchSampler' }, dataset: { type: 'CocoDataset', ann_file: join(dir, 'ann.json'), metainfo: { classes: ['thing'] }, test_mode: true, pipeline: [] } };
      const loader = buildDataLoader(cfg);
      expect(loader.batchIndices()).to.deep.equal([[0, 1, 3], [2, 4, 5], [7, 8, 6]]);
      expect(loader.length).to.equal(3);
      expect(() => buildDataLoader({ ...cfg, drop_last: true }, { path: 'train_dataloader' })).to.throw(/train_dataloader\.drop_last: drop_last cannot be set beside batch_sampler/);
      expect(() => buildDataLoader({ ...cfg, batch_sampler: { type: 'AspectRatioBatchSampler', shuffle: true } }, { path: 'train_dataloader' })).to.throw(/train_dataloader\.batch_sampler/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
