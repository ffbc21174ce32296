import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Boxes } from '../../../src/structures/boxes';
import { BitmapMasks } from '../../../src/structures/masks';
import { decodeRle, encodeMask, rleFromPolygons, rleToCoco } from '../../../src/structures/mask';
import { build } from '../../../src/registry/container';
import { TRANSFORMS } from '../../../src/registry/registries';
import '../../../src/components';
import { writeImage } from '../../../src/data/image-io/encode-image';
import { PackDetInputs } from '../../../src/data/transforms/pack-det-inputs';
import type { Results, Transform } from '../../../src/data/transforms/results';

const t = (cfg: Record<string, unknown>) => build(TRANSFORMS, cfg, { path: 'pipeline.0' }) as Transform;

describe('data transforms: LoadImageFromFile, LoadAnnotations, PackDetInputs', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'hrdet-load-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('LoadImageFromFile reads BGR, sets img_shape and ori_shape, to_float32 gives float pixels', async () => {
    const file = join(dir, 'a.png');
    // RGB pixels red, green / blue, white (a 2x2 image)
    await writeImage(file, { data: Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]), height: 2, width: 2, channels: 3, order: 'rgb' });
    const r = (await t({ type: 'LoadImageFromFile', to_float32: true, imdecode_backend: 'pillow' }).transform({ img_path: file })) as Results;
    expect(r.img!.data).to.be.instanceOf(Float32Array);
    expect([...r.img!.data]).to.deep.equal([0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255]);
    expect(r.img_shape).to.deep.equal([2, 2]);
    expect(r.ori_shape).to.deep.equal([2, 2]);
    const g = (await t({ type: 'LoadImageFromFile', color_type: 'grayscale' }).transform({ img_path: file })) as Results;
    expect(g.img!.channels).to.equal(1);
    expect(() => t({ type: 'LoadImageFromFile', imdecode_backend: 'turbojpeg' })).to.throw(/imdecode_backend/);
  });

  it('a missing image names the annotation entry; ignore_empty drops the sample', async () => {
    const missing = { img_path: join(dir, 'nope.jpg'), ann_source: 'ann.json: images[2] (id 9)' };
    let msg = '';
    try {
      await t({ type: 'LoadImageFromFile' }).transform(missing);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).to.match(/^ann\.json: images\[2\] \(id 9\): file_name: image file .*nope\.jpg does not exist$/);
    expect(await t({ type: 'LoadImageFromFile', ignore_empty: true }).transform(missing)).to.equal(null);
  });

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

  it('PackDetInputs: CHW image, valid and ignored instances apart, the meta keys asked', () => {
    const results: Results = {
      img: { data: Uint8Array.from([1, 2, 3, 4, 5, 6]), height: 1, width: 2, channels: 3, order: 'bgr' },
      img_id: 7,
      img_path: 'x.jpg',
      ori_shape: [1, 2],
      img_shape: [1, 2],
      scale_factor: [1, 1],
      gt_bboxes: Boxes.fromRows([[0, 0, 1, 1], [1, 0, 2, 1]]),
      gt_bboxes_labels: Int32Array.from([4, 5]),
      gt_ignore_flags: Uint8Array.from([1, 0]),
      gt_masks: new BitmapMasks(Uint8Array.from([1, 0, 0, 1]), 2, 1, 2),
    };
    const packed = new PackDetInputs({ meta_keys: ['img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'] }).pack(results);
    expect(packed.inputs.shape).to.deep.equal([3, 1, 2]);
    expect(packed.inputs.dtype).to.equal('uint8');
    expect([...packed.inputs.data]).to.deep.equal([1, 4, 2, 5, 3, 6]);
    const s = packed.data_samples;
    expect(s.metainfo).to.deep.equal({ img_id: 7, img_path: 'x.jpg', ori_shape: [1, 2], img_shape: [1, 2], scale_factor: [1, 1] });
    expect((s.gt_instances!.bboxes as Boxes).rows()).to.deep.equal([[1, 0, 2, 1]]);
    expect([...(s.gt_instances!.labels as Int32Array)]).to.deep.equal([5]);
    expect([...(s.gt_instances!.masks as BitmapMasks).mask(0)]).to.deep.equal([0, 1]);
    expect([...(s.ignored_instances!.labels as Int32Array)]).to.deep.equal([4]);
    // mmdet's default meta keys include flip, which a pipeline without RandomFlip lacks
    expect(() => t({ type: 'PackDetInputs' }).transform(results)).to.throw(/meta key 'flip' is not in the results/);
  });
});
