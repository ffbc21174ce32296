import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BaseSegDataset } from '../../../src/data/datasets/base-seg-dataset';
import { build } from '../../../src/registry/container';
import { DATASETS } from '../../../src/registry/registries';
import { withDefaultScope } from '../../../src/registry/registry';
import '../../../src/components';

function touch(root: string, ...files: string[]) {
  for (const f of files) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), '');
  }
}

const make = (cfg: Record<string, unknown>) => withDefaultScope('mmseg', () => build(DATASETS, { type: 'BaseSegDataset', ...cfg }, { path: 'train_dataloader.dataset' })) as BaseSegDataset;

describe("mmseg's BaseSegDataset", () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'hrdet-segds-'));
    touch(root, 'img/b.jpg', 'img/a.jpg', 'img/sub/c.jpg', 'img/.hidden.jpg', 'img/notes.txt', 'ann/a.png', 'ann/b.png', 'ann/sub/c.png');
    writeFileSync(join(root, 'split.txt'), 'b\n\nsub/c\n');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('finds images by suffix recursively, sorted by path, each paired with its label map; metainfo as mmseg', () => {
    const ds = make({ data_root: root, data_prefix: { img_path: 'img', seg_map_path: 'ann' }, metainfo: { classes: ['bg', 'fg'], palette: [[0, 0, 0], [9, 9, 9]] } });
    expect(ds.length).to.equal(3);
    const infos = [0, 1, 2].map((i) => ds.getDataInfo(i));
    expect(infos.map((d) => d.img_path)).to.deep.equal(['a.jpg', 'b.jpg', 'sub/c.jpg'].map((f) => join(root, 'img', f)));
    expect(infos.map((d) => d.seg_map_path)).to.deep.equal(['a.png', 'b.png', 'sub/c.png'].map((f) => join(root, 'ann', f)));
    expect(infos[0]).to.include({ reduce_zero_label: false, label_map: null, sample_idx: 0 });
    expect(infos[0].seg_fields).to.deep.equal([]);
    expect(ds.metainfo).to.deep.equal({ classes: ['bg', 'fg'], palette: [[0, 0, 0], [9, 9, 9]], label_map: null, reduce_zero_label: false });
  });

  it('ann_file lists basenames (blank lines skipped); without seg_map_path no label maps', () => {
    const ds = make({ data_root: root, ann_file: 'split.txt', data_prefix: { img_path: 'img', seg_map_path: 'ann' }, reduce_zero_label: true });
    expect([0, 1].map((i) => ds.getDataInfo(i).seg_map_path)).to.deep.equal([join(root, 'ann/b.png'), join(root, 'ann/sub/c.png')]);
    expect(ds.getDataInfo(0).reduce_zero_label).to.equal(true);
    const images = make({ data_root: root, data_prefix: { img_path: 'img' } });
    expect(images.getDataInfo(0).seg_map_path).to.equal(undefined);
  });

  it("without a palette, mmseg's seeded random one", () => {
    const ds = make({ data_root: root, data_prefix: { img_path: 'img', seg_map_path: 'ann' }, metainfo: { classes: ['x', 'y'] }, lazy_init: true });
    expect(ds.metainfo.palette).to.deep.equal([[102, 179, 92], [14, 106, 71]]);
  });

  it('a missing label map, folder or ann_file, and bad metainfo are one-line errors naming them', () => {
    touch(root, 'img2/a.jpg', 'img2/b.jpg', 'ann2/a.png');
    const err = (cfg: Record<string, unknown>) => {
      try {
        make(cfg);
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(err({ data_root: root, data_prefix: { img_path: 'img2', seg_map_path: 'ann2' } })).to.equal(`${join(root, 'ann2/b.png')}: segmentation map of ${join(root, 'img2/b.jpg')} does not exist (seg_map_suffix '.png')`);
    expect(err({ data_root: root, data_prefix: { img_path: 'nope', seg_map_path: 'ann' } })).to.equal(`${join(root, 'nope')}: image folder (data_prefix.img_path) not found`);
    expect(err({ data_root: root, img_suffix: '.webp', data_prefix: { img_path: 'img', seg_map_path: 'ann' } })).to.equal(`${join(root, 'img')}: no images ending in '.webp' (img_suffix) in this folder`);
    expect(err({ data_root: root, ann_file: 'missing.txt', data_prefix: { img_path: 'img' } })).to.match(/missing\.txt: ann_file \(a list of image basenames\) not found$/);
    expect(err({ data_root: root, data_prefix: { img_path: 'img' }, metainfo: { classes: ['a', 'b'], palette: [[1, 2, 3]] } })).to.equal('train_dataloader.dataset.metainfo.palette: has 1 colours for 2 classes');
    expect(err({ data_root: root, data_prefix: { img_path: 'img' }, test_mode: true })).to.match(/^train_dataloader\.dataset\.metainfo\.classes: the dataset metainfo classes must be given when testing/);
    expect(err({ data_root: root, data_prefix: { img: 'img' } })).to.match(/^train_dataloader\.dataset\.data_prefix/);
    expect(() => build(DATASETS, { type: 'BaseSegDataset' }, { path: 'd' })).to.throw(/unknown dataset type 'BaseSegDataset'/);
  });
});

describe("mmseg's CityscapesDataset", () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'hrdet-city-'));
    touch(root, 'leftImg8bit/train/aachen/aachen_000000_000019_leftImg8bit.png', 'gtFine/train/aachen/aachen_000000_000019_gtFine_labelTrainIds.png');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("pairs Cityscapes' suffixes and carries its 19 classes and palette; a class subset gives mmseg's label_map", () => {
    const cfg = { type: 'CityscapesDataset', data_root: root, data_prefix: { img_path: 'leftImg8bit/train', seg_map_path: 'gtFine/train' } };
    const ds = withDefaultScope('mmseg', () => build(DATASETS, cfg, { path: 'd' })) as BaseSegDataset;
    expect(ds.getDataInfo(0).seg_map_path).to.equal(join(root, 'gtFine/train/aachen/aachen_000000_000019_gtFine_labelTrainIds.png'));
    expect((ds.metainfo.classes as string[]).length).to.equal(19);
    expect((ds.metainfo.palette as number[][])[18]).to.deep.equal([119, 11, 32]);
    const sub = build(DATASETS, { ...cfg, type: 'mmseg.CityscapesDataset', metainfo: { classes: ['car', 'road'] } }, { path: 'd' }) as BaseSegDataset;
    const map = sub.metainfo.label_map as Record<number, number>;
    expect([map[0], map[13], map[1], map[18]]).to.deep.equal([1, 0, 255, 255]);
    expect(sub.metainfo.palette).to.deep.equal([[0, 0, 142], [128, 64, 128]]);
    expect(sub.getDataInfo(0).label_map).to.deep.equal(map);
    expect(() => build(DATASETS, { ...cfg, type: 'mmseg.CityscapesDataset', metainfo: { classes: ['car', 'boat'] } }, { path: 'd' })).to.throw(/^d\.metainfo\.classes: 'boat' not among the dataset's classes/);
  });
});
