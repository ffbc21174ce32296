import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../../src/registry/container';
import { DATASETS } from '../../../src/registry/registries';
import '../../../src/components';
import type { CocoDataset } from '../../../src/data/datasets/coco-dataset';

type Json = Record<string, any>;

/** Three images: 1 with a box, a crowd, a sub-pixel box and an off-image box; 2 with only a 'dog'; 3 none. */
function cocoFile(): Json {
  return {
    images: [
      { id: 1, file_name: 'a.jpg', width: 100, height: 80 },
      { id: 2, file_name: 'b.jpg', width: 40, height: 30 },
      { id: 3, file_name: 'c.jpg', width: 100, height: 80 },
    ],
    categories: [
      { id: 3, name: 'cat' },
      { id: 7, name: 'dog' },
    ],
    annotations: [
      { id: 10, image_id: 1, category_id: 3, bbox: [10, 20, 30, 40], area: 1200, iscrowd: 0, segmentation: [[10, 20, 40, 20, 40, 60]] },
      { id: 11, image_id: 1, category_id: 7, bbox: [0, 0, 50, 50], area: 2500, iscrowd: 1, segmentation: { size: [80, 100], counts: 'abc' } },
      { id: 12, image_id: 1, category_id: 3, bbox: [5, 5, 0.5, 10], area: 5, iscrowd: 0 },
      { id: 13, image_id: 1, category_id: 3, bbox: [120, 5, 10, 10], area: 100, iscrowd: 0 },
      { id: 14, image_id: 2, category_id: 7, bbox: [1, 2, 3, 4], area: 12, iscrowd: 0 },
    ],
  };
}

describe('CocoDataset', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'hrdet-coco-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const make = (json: Json, opts: Json = {}) => {
    writeFileSync(join(dir, 'ann.json'), JSON.stringify(json));
    return build(DATASETS, { type: 'CocoDataset', data_root: dir, ann_file: 'ann.json', data_prefix: { img: 'imgs/' }, metainfo: { classes: ['cat', 'dog'] }, ...opts }, { path: 'dataset' }) as CocoDataset;
  };

  it('turns xywh into xyxy, crowd into ignore flags, labels by class order, keeps the segmentation', () => {
    const ds = make(cocoFile());
    expect(ds.length).to.equal(3);
    const a = ds.getDataInfo(0);
    expect(a.img_path).to.equal(join(dir, 'imgs', 'a.jpg'));
    expect([a.img_id, a.height, a.width, a.sample_idx]).to.deep.equal([1, 80, 100, 0]);
    // the 0.5-wide box and the box outside the image are dropped, as mmdet drops them
    expect(a.instances).to.deep.equal([
      { bbox: [10, 20, 40, 60], bbox_label: 0, ignore_flag: 0, mask: [[10, 20, 40, 20, 40, 60]] },
      { bbox: [0, 0, 50, 50], bbox_label: 1, ignore_flag: 1, mask: { size: [80, 100], counts: 'abc' } },
    ]);
    expect(ds.metainfo.classes).to.deep.equal(['cat', 'dog']);
    // the classes' order gives the labels, not the file's category ids
    expect(make(cocoFile(), { metainfo: { classes: ['dog', 'cat'] } }).getDataInfo(1).instances[0].bbox_label).to.equal(0);
  });

  it('skips annotations of categories outside the classes, and filter_cfg drops as mmdet', () => {
    const onlyCat = make(cocoFile(), { metainfo: { classes: ['cat'] }, filter_cfg: { filter_empty_gt: true } });
    expect(onlyCat.length).to.equal(1); // image 2 has only a dog, image 3 nothing
    expect(onlyCat.getDataInfo(0).instances.map((i) => i.bbox_label)).to.deep.equal([0]);
    expect(make(cocoFile(), { filter_cfg: { filter_empty_gt: true } }).length).to.equal(2);
    expect(make(cocoFile(), { filter_cfg: { filter_empty_gt: false, min_size: 32 } }).length).to.equal(2); // 40x30 goes
    // test mode never filters; indices cut after filtering
    expect(make(cocoFile(), { filter_cfg: { filter_empty_gt: true }, test_mode: true }).length).to.equal(3);
    const sub = make(cocoFile(), { indices: [2, 0] });
    expect([sub.getDataInfo(0).img_id, sub.getDataInfo(1).img_id]).to.deep.equal([3, 1]);
    expect(make(cocoFile(), { indices: 1 }).length).to.equal(1);
  });

  it('is lazy with lazy_init: the file is read on first use', () => {
    const ds = build(DATASETS, { type: 'CocoDataset', ann_file: join(dir, 'missing.json'), lazy_init: true }, { path: 'dataset' }) as CocoDataset;
    expect(() => ds.length).to.throw(/missing\.json: annotation file not found/);
    expect(() => build(DATASETS, { type: 'CocoDataset', ann_file: join(dir, 'missing.json') }, { path: 'dataset' })).to.throw(/annotation file not found/);
  });

  const bad: [string, (j: Json) => void, RegExp][] = [
    ['a missing field', (j) => delete j.annotations[0].bbox, /annotations\[0\]\.bbox: expected \[x, y, w, h\]/],
    ['a zero width', (j) => (j.annotations[1].bbox[2] = 0), /annotations\[1\]\.bbox: width and height must be positive, got 0x50/],
    ['a negative image size', (j) => (j.images[2].height = -4), /images\[2\]\.height: must be positive, got -4/],
    ['an unknown category', (j) => (j.annotations[4].category_id = 99), /annotations\[4\]\.category_id: no category has id 99/],
    ['an unknown image', (j) => (j.annotations[2].image_id = 5), /annotations\[2\]\.image_id: no image has id 5/],
    ['a duplicate annotation id', (j) => (j.annotations[3].id = 10), /annotations\[3\]\.id: annotation id 10 appears twice/],
    ['a duplicate image id', (j) => (j.images[1].id = 1), /images\[1\]\.id: image id 1 appears twice/],
    ['a missing file name', (j) => delete j.images[0].file_name, /images\[0\]\.file_name: expected a non-empty string/],
  ];
  for (const [what, spoil, msg] of bad) {
    it(`names the file, the entry and the field for ${what}`, () => {
      const j = cocoFile();
      spoil(j);
      expect(() => make(j)).to.throw(msg).with.property('message').that.matches(/ann\.json: /);
    });
  }

  it('asks for metainfo.classes when the file lacks a class', () => {
    expect(() => make(cocoFile(), { metainfo: null })).to.throw(/categories: no category named 'person'/);
  });
});
