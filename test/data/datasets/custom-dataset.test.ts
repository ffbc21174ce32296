import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CustomDataset } from '../../../src/data/datasets/custom-dataset';
import { build } from '../../../src/registry/container';
import { DATASETS } from '../../../src/registry/registries';
import '../../../src/components';

function touch(root: string, ...files: string[]) {
  for (const f of files) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), '');
  }
}

const make = (cfg: Record<string, unknown>) => build(DATASETS, { type: 'CustomDataset', ...cfg }, { path: 'train_dataloader.dataset' }) as CustomDataset;
const err = (cfg: Record<string, unknown>) => {
  try {
    make(cfg);
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

describe("mmpretrain's CustomDataset", () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'hrdet-clsds-'));
    touch(root, 'train/dog/2.JPG', 'train/dog/1.jpg', 'train/cat/x/3.png', 'train/cat/readme.txt', 'train/bird/.keep', 'loose.jpg');
    writeFileSync(join(root, 'train.txt'), 'dog/1.jpg 2\n\ncat/x/3.png 0\nmy file.jpg 1\n');
    writeFileSync(join(root, 'classes.txt'), 'bird\ncat\ndog\n');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('class folders: sorted folders are the classes, files (by extension, case-insensitive) sorted under each', () => {
    const ds = make({ data_root: root, data_prefix: 'train' });
    expect(ds.metainfo.classes).to.deep.equal(['bird', 'cat', 'dog']);
    const infos = Array.from({ length: ds.length }, (_, i) => ds.getDataInfo(i));
    expect(infos.map((d) => [d.img_path, d.gt_label])).to.deep.equal([
      [join(root, 'train/cat/x/3.png'), 1],
      [join(root, 'train/dog/1.jpg'), 2],
      [join(root, 'train/dog/2.JPG'), 2],
    ]);
    const flat = make({ data_root: root, data_prefix: { img_path: 'train' }, with_label: false });
    expect(flat.length).to.equal(3);
    expect(flat.getDataInfo(0).gt_label).to.equal(undefined);
  });

  it('ann_file lines "<path> <label>" split at the last space; classes from a file or metainfo', () => {
    const ds = make({ data_root: root, data_prefix: 'train', ann_file: 'train.txt', classes: join(root, 'classes.txt') });
    expect(ds.metainfo.classes).to.deep.equal(['bird', 'cat', 'dog']);
    expect([0, 1, 2].map((i) => [ds.getDataInfo(i).img_path, ds.getDataInfo(i).gt_label])).to.deep.equal([
      [join(root, 'train/dog/1.jpg'), 2],
      [join(root, 'train/cat/x/3.png'), 0],
      [join(root, 'train/my file.jpg'), 1],
    ]);
    const meta = make({ data_root: root, data_prefix: 'train', ann_file: 'train.txt', classes: ['a'], metainfo: { classes: ['p', 'q', 'r'] } });
    expect(meta.metainfo.classes).to.deep.equal(['p', 'q', 'r']);
  });

  it('malformed lines, labels outside the classes, a class-count mismatch and empty folders are one-line errors', () => {
    writeFileSync(join(root, 'bad.txt'), 'a.jpg 0\nb.jpg x\n');
    expect(err({ data_root: root, ann_file: 'bad.txt' })).to.equal(`${join(root, 'bad.txt')}: line 2: expected '<path> <label>' with a label >= 0, got 'b.jpg x'`);
    expect(err({ data_root: root, ann_file: 'train.txt', metainfo: { classes: ['a', 'b'] } })).to.equal(`${join(root, 'train.txt')}: line 1: label 2 is outside the 2 classes`);
    expect(err({ data_root: root, data_prefix: 'train', metainfo: { classes: ['a', 'b'] } })).to.equal(`${join(root, 'train')}: has 3 class folders but 2 classes are given (metainfo.classes / classes)`);
    expect(err({ data_root: root, data_prefix: 'train/bird', with_label: false })).to.match(/train\/bird: found no files in it; supported extensions are \.jpg/);
    expect(err({})).to.equal('train_dataloader.dataset.data_prefix: one of ann_file, data_root and data_prefix must be given');
    expect(err({ data_root: root, classes: join(root, 'none.txt') })).to.match(/^train_dataloader\.dataset\.classes: cannot read the class file/);
  });
});
