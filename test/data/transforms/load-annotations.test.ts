import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeImage } from '../../../src/data/image-io/encode-image';
import type { BaseDataset } from '../../../src/data/datasets/base-dataset';
import type { PackDetInputs } from '../../../src/data/transforms/pack-det-inputs';
import { build } from '../../../src/registry/container';
import { DATASETS } from '../../../src/registry/registries';
import { decodeRle, encodeMask, rleFromPolygons, rleToCoco } from '../../../src/structures/mask';
import '../../../src/components';
import { t } from './helpers/sample';
import type { Results } from '../../../src/data/transforms/results';

describe('LoadAnnotations', () => {
  it('LoadAnnotations: boxes, labels, crowd flags, polygon and RLE masks at the image size', () => {
    const [h, w] = [6, 8];
    const bitmap = Uint8Array.from({ length: h * w }, (_, i) => (Math.floor(i / w) >= 3 && i % w >= 5 ? 1 : 0));
    const poly = [[1, 1, 4, 1, 4, 4, 1, 4]];
    const results: Results = {
      ori_shape: [h, w],
      instances: [
        { bbox: [1, 1, 4, 4], bbox_label: 2, ignore_flag: 0, mask: poly },
        { bbox: [5, 3, 8, 6], bbox_label: 0, ignore_flag: 1, mask: rleToCoco(encodeMask(bitmap, h, w, 'row-major')) },
        { bbox: [0, 0, 2, 2], bbox_label: 1, ignore_flag: 0, mask: [[0, 0, 1, 1]] }, // no valid outline
      ],
    };
    const r = t({ type: 'LoadAnnotations', with_mask: true }).transform(results) as Results;
    expect(r.gt_bboxes!.rows()).to.deep.equal([[1, 1, 4, 4], [5, 3, 8, 6], [0, 0, 2, 2]]);
    expect([...r.gt_bboxes_labels!]).to.deep.equal([2, 0, 1]);
    expect([...r.gt_ignore_flags!]).to.deep.equal([0, 1, 1]); // the invalid polygon is ignored, as mmdet
    const m = r.gt_masks!;
    expect([m.length, m.height, m.width]).to.deep.equal([3, h, w]);
    expect([...m.mask(0)]).to.deep.equal([...decodeRle(rleFromPolygons(poly, h, w), 'row-major')]);
    expect([...m.mask(1)]).to.deep.equal([...bitmap]);
    expect(m.areas()[2]).to.equal(0);
    expect(() => t({ type: 'LoadAnnotations', poly2mask: false })).to.throw(/pipeline\.0\.poly2mask: expected true/);
  });
});

describe("mmdet's LoadAnnotations with_seg (gt_seg_map)", () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hrdet-detseg-'));
    mkdirSync(join(dir, 'segs'));
    await writeImage(join(dir, 'segs', 'a.png'), { data: Uint8Array.from([0, 1, 2, 254, 255, 7]), height: 2, width: 3, channels: 1, order: 'gray' });
    const coco = {
      images: [{ id: 4, file_name: 'a.jpg', width: 3, height: 2 }],
      annotations: [{ id: 1, image_id: 4, category_id: 1, bbox: [0, 0, 2, 2], area: 4, iscrowd: 0 }],
      categories: [{ id: 1, name: 'thing' }],
    };
    writeFileSync(join(dir, 'ann.json'), JSON.stringify(coco));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("CocoDataset's data_prefix.seg gives seg_map_path = seg / (file_name stem + seg_map_suffix)", () => {
    const ds = build(DATASETS, { type: 'CocoDataset', data_root: dir, ann_file: 'ann.json', data_prefix: { img: 'imgs/', seg: 'segs/' }, metainfo: { classes: ['thing'] } }, { path: 'dataset' }) as BaseDataset;
    expect(ds.getDataInfo(0).seg_map_path).to.equal(join(dir, 'segs', 'a.png'));
    const other = build(DATASETS, { type: 'CocoDataset', data_root: dir, ann_file: 'ann.json', data_prefix: { img: 'imgs/', seg: 'segs' }, seg_map_suffix: '_sem.png', metainfo: { classes: ['thing'] } }, { path: 'dataset' }) as BaseDataset;
    expect(other.getDataInfo(0).seg_map_path).to.equal(join(dir, 'segs', 'a_sem.png'));
    const none = build(DATASETS, { type: 'CocoDataset', data_root: dir, ann_file: 'ann.json', metainfo: { classes: ['thing'] } }, { path: 'dataset' }) as BaseDataset;
    expect(none.getDataInfo(0).seg_map_path).to.equal(undefined);
  });

  it('reads the label map unchanged beside the instances; reduce_zero_label; ignore_index recorded; packed as gt_sem_seg', async () => {
    const base: Results = { ori_shape: [2, 3], seg_map_path: join(dir, 'segs', 'a.png'), instances: [{ bbox: [0, 0, 2, 2], bbox_label: 0, ignore_flag: 0 }] };
    const r = (await t({ type: 'LoadAnnotations', with_seg: true }).transform(base)) as Results;
    expect([...r.gt_seg_map!.data]).to.deep.equal([0, 1, 2, 254, 255, 7]);
    expect([r.gt_seg_map!.height, r.gt_seg_map!.width]).to.deep.equal([2, 3]);
    expect(r.ignore_index).to.equal(255);
    expect(r.gt_bboxes!.rows()).to.deep.equal([[0, 0, 2, 2]]);
    // mmdet: 0 -> 255, then minus one, then 254 -> 255
    const z = (await t({ type: 'LoadAnnotations', with_seg: true, reduce_zero_label: true, ignore_index: 250 }).transform(base)) as Results;
    expect([...z.gt_seg_map!.data]).to.deep.equal([255, 0, 1, 253, 255, 6]);
    expect(z.ignore_index).to.equal(250);
    // without seg_map_path nothing is read (mmdet returns early)
    const { seg_map_path: _p, ...noSeg } = base;
    expect(((await t({ type: 'LoadAnnotations', with_seg: true }).transform(noSeg)) as Results).gt_seg_map).to.equal(undefined);
    const img = { data: new Uint8Array(2 * 3 * 3), height: 2, width: 3, channels: 3 as const, order: 'bgr' as const };
    const packed = (t({ type: 'PackDetInputs', meta_keys: [] }) as PackDetInputs).pack({ ...r, img });
    expect(packed.data_samples.gt_sem_seg!.shape).to.deep.equal([1, 2, 3]);
    expect([...(packed.data_samples.gt_sem_seg!.array as Uint8Array)]).to.deep.equal([0, 1, 2, 254, 255, 7]);
  });
});
