import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../../src/registry/container';
import { DATASETS } from '../../../src/registry/registries';
import { withDefaultScope } from '../../../src/registry/registry';
import { CocoDataset } from '../../../src/data/datasets/coco-dataset';
import { TopdownCocoDataset } from '../../../src/data/datasets/topdown-coco-dataset';
import '../../../src/components';

type Json = Record<string, any>;

/** 17 keypoints: keypoint k at (x0 + k, y0 + k) with visibility v, the rest unlabelled. */
function kpts(x0: number, y0: number, labelled: number, v = 2): number[] {
  return Array.from({ length: 17 }, (_, k) => (k < labelled ? [x0 + k, y0 + k, v] : [0, 0, 0])).flat();
}

function poseFile(): Json {
  return {
    images: [
      { id: 1, file_name: 'a.jpg', width: 100, height: 80 },
      { id: 2, file_name: 'b.jpg', width: 40, height: 30 },
    ],
    categories: [{ id: 1, name: 'person', keypoints: [], skeleton: [] }],
    annotations: [
      // kept; the box runs past the right and bottom edges and is clipped to (w - 1, h - 1)
      { id: 10, image_id: 1, category_id: 1, bbox: [60, 50, 50, 40], area: 900, iscrowd: 0, num_keypoints: 3, keypoints: kpts(61, 51, 3, 1) },
      // a crowd, no labelled keypoints, no box area, no keypoints at all: left out
      { id: 11, image_id: 1, category_id: 1, bbox: [0, 0, 50, 50], area: 2500, iscrowd: 1, num_keypoints: 5, keypoints: kpts(1, 1, 5) },
      { id: 12, image_id: 1, category_id: 1, bbox: [5, 5, 20, 20], area: 400, iscrowd: 0, num_keypoints: 0, keypoints: kpts(0, 0, 0) },
      { id: 13, image_id: 1, category_id: 1, bbox: [120, 5, 10, 10], area: 100, iscrowd: 0, num_keypoints: 2, keypoints: kpts(5, 5, 2) },
      { id: 14, image_id: 1, category_id: 1, bbox: [1, 1, 5, 5], area: 25, iscrowd: 0 },
      // kept; no num_keypoints and no area: counted and estimated as mmpose does
      { id: 15, image_id: 2, category_id: 1, bbox: [2, 3, 10, 20], keypoints: kpts(3, 4, 4) },
    ],
  };
}

describe('CocoDataset (mmpose, top-down)', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'hrdet-pose-coco-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const make = (json: unknown, opts: Json = {}, file = 'ann.json') => {
    writeFileSync(join(dir, file), JSON.stringify(json));
    return withDefaultScope('mmpose', () => build(DATASETS, { type: 'CocoDataset', data_root: dir, ann_file: file, data_prefix: { img: 'imgs/' }, ...opts }, { path: 'dataset' })) as TopdownCocoDataset;
  };

  it('is mmpose.CocoDataset under default_scope mmpose; the bare name stays mmdet\'s', () => {
    writeFileSync(join(dir, 'ann.json'), JSON.stringify(poseFile()));
    expect(make(poseFile())).to.be.instanceOf(TopdownCocoDataset);
    const det = build(DATASETS, { type: 'CocoDataset', ann_file: join(dir, 'ann.json'), lazy_init: true, metainfo: { classes: ['person'] } }, { path: 'dataset' });
    expect(det).to.be.instanceOf(CocoDataset);
    expect(build(DATASETS, { type: 'mmpose.CocoDataset', ann_file: join(dir, 'ann.json') }, { path: 'dataset' })).to.be.instanceOf(TopdownCocoDataset);
  });

  it('one item per valid person: box clipped and xyxy, keypoints [1, K, 2], visibility min(1, v), ids, metainfo keys', () => {
    const ds = make(poseFile());
    expect(ds.length).to.equal(2);
    const a = ds.getDataInfo(0);
    expect(a.img_path).to.equal(join(dir, 'imgs', 'a.jpg'));
    expect([a.img_id, a.id, a.category_id, a.iscrowd, a.num_keypoints, a.area, a.sample_idx]).to.deep.equal([1, 10, 1, 0, 3, 900, 0]);
    expect(a.bbox).to.deep.equal([[60, 50, 99, 79]]);
    expect(a.bbox_score).to.deep.equal([1]);
    expect(a.keypoints[0].slice(0, 4)).to.deep.equal([[61, 51], [62, 52], [63, 53], [0, 0]]);
    expect(a.keypoints[0]).to.have.length(17);
    expect(a.keypoints_visible[0].slice(0, 4)).to.deep.equal([1, 1, 1, 0]);
    expect(a.raw_ann_info).to.have.property('id', 10);
    expect(a.flip_indices).to.deep.equal([0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]);
    expect(a.upper_body_ids).to.deep.equal([...Array(11).keys()]);
    expect(a.lower_body_ids).to.deep.equal([11, 12, 13, 14, 15, 16]);
    expect(a.dataset_name).to.equal('coco');
    expect(a.dataset_keypoint_weights![9]).to.equal(1.5);
    const b = ds.getDataInfo(1);
    expect(b.id).to.equal(15);
    // visibility 2 → 1; 4 keypoints with a coordinate above 0 counted; area = w * h * 0.53
    expect(b.keypoints_visible[0].slice(0, 5)).to.deep.equal([1, 1, 1, 1, 0]);
    expect(b.num_keypoints).to.equal(4);
    expect(b.area).to.equal(Math.fround(10 * 20 * 0.53));
  });

  it("metainfo: COCO's (mmpose's coco.py) by default, flip pairs, sigmas, the file's categories", () => {
    const m = make(poseFile()).metainfo;
    expect(m.dataset_name).to.equal('coco');
    expect(m.num_keypoints).to.equal(17);
    expect((m.keypoint_id2name as Record<number, string>)[5]).to.equal('left_shoulder');
    expect((m.sigmas as number[])[0]).to.equal(Math.fround(0.026));
    expect((m.flip_pairs as number[][]).slice(0, 2)).to.deep.equal([[2, 1], [1, 2]]);
    expect((m.skeleton_links as number[][])[0]).to.deep.equal([15, 13]);
    expect(m.num_skeleton_links).to.equal(19);
    expect((m.CLASSES as Json[])[0].name).to.equal('person');
    expect(make(poseFile(), { metainfo: { from_file: 'configs/_base_/datasets/coco.py' } }).metainfo.num_keypoints).to.equal(17);
  });

  it('a dataset_info metainfo of its own: three keypoints', () => {
    const metainfo = {
      dataset_name: 'tri',
      keypoint_info: { 0: { name: 'a', id: 0, type: 'upper', swap: '' }, 1: { name: 'l', id: 1, type: 'lower', swap: 'r' }, 2: { name: 'r', id: 2, type: 'lower', swap: 'l' } },
      skeleton_info: { 0: { link: ['l', 'r'], id: 0 } },
      joint_weights: [1, 1, 2],
      sigmas: [0.1, 0.1, 0.1],
    };
    const json = poseFile();
    json.annotations = [{ id: 1, image_id: 1, category_id: 1, bbox: [1, 1, 10, 10], area: 100, num_keypoints: 1, keypoints: [2, 3, 2, 0, 0, 0, 0, 0, 0] }];
    const ds = make(json, { metainfo });
    expect(ds.getDataInfo(0).flip_indices).to.deep.equal([0, 2, 1]);
    expect(ds.getDataInfo(0).keypoints).to.deep.equal([[[2, 3], [0, 0], [0, 0]]]);
    expect(() => make(json, { metainfo: { ...metainfo, sigmas: [0.1] } })).to.throw(/^dataset\.metainfo\.sigmas: needs one value per keypoint \(3\), got 1$/);
    expect(() => make(json, { metainfo: { ...metainfo, skeleton_info: { 0: { link: ['l', 'x'] } } } })).to.throw(/dataset\.metainfo\.skeleton_info\.0\.link: 'x' is not one of the keypoint names/);
    expect(() => make(json, { metainfo: { dataset_name: 'x' } })).to.throw(/dataset\.metainfo\.keypoint_info/);
    expect(() => make(json, { metainfo: { from_file: 'configs/_base_/datasets/mpii.py' } })).to.throw(/dataset\.metainfo\.from_file: only mmpose's configs\/_base_\/datasets\/coco\.py is built in/);
  });

  it('bbox_file (test mode): detected persons with their scores, dummy keypoints, bbox_score_thr', () => {
    writeFileSync(join(dir, 'dets.json'), JSON.stringify([
      { image_id: 1, category_id: 1, bbox: [10, 20, 30, 40], score: 0.9 },
      { image_id: 1, category_id: 2, bbox: [1, 1, 1, 1], score: 0.99 },
      { image_id: 2, category_id: 1, bbox: [0, 0, 5, 5], score: 0.3 },
    ]));
    const ds = make(poseFile(), { bbox_file: join(dir, 'dets.json'), test_mode: true });
    expect(ds.length).to.equal(2);
    const d = ds.getDataInfo(0);
    expect([d.id, d.img_id, d.img_shape]).to.deep.equal([0, 1, [80, 100]]);
    expect(d.bbox).to.deep.equal([[10, 20, 40, 60]]);
    expect(d.bbox_score).to.deep.equal([Math.fround(0.9)]);
    expect(d.keypoints[0]).to.have.length(17);
    expect(d.keypoints_visible[0].every((v) => v === 1)).to.equal(true);
    expect(ds.getDataInfo(1).id).to.equal(1);
    const thr = make(poseFile(), { bbox_file: join(dir, 'dets.json'), test_mode: true, filter_cfg: { bbox_score_thr: 0.5 } });
    expect(thr.length).to.equal(1);
    expect(() => make(poseFile(), { bbox_file: join(dir, 'dets.json') })).to.throw(/^dataset\.bbox_file: detected boxes are only used in test mode/);
    writeFileSync(join(dir, 'bad-dets.json'), JSON.stringify([{ image_id: 9, category_id: 1, bbox: [0, 0, 1, 1], score: 1 }]));
    expect(() => make(poseFile(), { bbox_file: join(dir, 'bad-dets.json'), test_mode: true })).to.throw(/bad-dets\.json: \[0\]\.image_id: no image of .*ann\.json has id 9/);
  });

  it('sample_interval, indices and bottom-up refusal', () => {
    expect(make(poseFile(), { sample_interval: 2 }).getDataInfo(0).img_id).to.equal(2);
    expect(make(poseFile(), { indices: 1 }).length).to.equal(1);
    expect(() => make(poseFile(), { data_mode: 'bottomup' })).to.throw(/^dataset\.data_mode: only 'topdown' is available/);
  });

  it('a missing image is reported against its image entry when the pipeline loads it', async () => {
    const ds = make(poseFile(), { pipeline: [{ type: 'LoadImage' }] });
    const err = await ds.getItem(0).catch((e: Error) => e);
    expect((err as Error).message).to.match(/ann\.json: images\[0\] \(id 1\): file_name: image file .*a\.jpg does not exist$/);
  });

  it('a malformed file is one line naming the file, the entry and the field', () => {
    const bad = (edit: (j: Json) => void) => {
      const j = poseFile();
      edit(j);
      return () => make(j, {}, 'bad.json');
    };
    expect(bad((j) => (j.annotations[0].keypoints = [1, 2, 3]))).to.throw(/bad\.json: annotations\[0\]\.keypoints: expected 51 numbers \(x, y, v for each of the 17 keypoints of 'coco'\), got 3 entries$/);
    expect(bad((j) => (j.annotations[0].bbox = [1, 2, 3]))).to.throw(/bad\.json: annotations\[0\]\.bbox: expected \[x, y, w, h\] \(4 numbers\)/);
    expect(bad((j) => (j.annotations[1].image_id = 99))).to.throw(/bad\.json: annotations\[1\]\.image_id: no image has id 99/);
    expect(bad((j) => (j.annotations[2].id = 10))).to.throw(/annotations\[2\]\.id: annotation id 10 appears twice/);
    expect(bad((j) => delete j.annotations[0].category_id)).to.throw(/annotations\[0\]\.category_id: expected a number, got nothing/);
    expect(bad((j) => (j.images[1].width = 0))).to.throw(/bad\.json: images\[1\]\.width: must be positive, got 0/);
    expect(bad((j) => delete j.annotations)).to.throw(/bad\.json: annotations: missing or not a list/);
    expect(() => make('[1]', {}, 'list.json')).to.throw(/list\.json: expected a COCO object/);
  });
});
