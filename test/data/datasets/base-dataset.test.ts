import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '../../../src/core/random';
import { build } from '../../../src/registry/container';
import { DATASETS } from '../../../src/registry/registries';
import '../../../src/components';
import type { CocoDataset } from '../../../src/data/datasets/coco-dataset';
import { writeImage } from '../../../src/data/image-io/encode-image';

describe('BaseDataset (through CocoDataset)', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hrdet-base-'));
    // image 1 exists, image 2's file is missing
    await writeImage(join(dir, 'a.png'), { data: new Uint8Array(2 * 3 * 3), height: 2, width: 3, channels: 3, order: 'bgr' });
    const images = [1, 2].map((id) => ({ id, file_name: id === 1 ? 'a.png' : 'gone.png', width: 3, height: 2 }));
    writeFileSync(join(dir, 'ann.json'), JSON.stringify({ images, annotations: [], categories: [{ id: 1, name: 'x' }] }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const make = (test_mode: boolean, ignore_empty: boolean) =>
    build(DATASETS, { type: 'CocoDataset', data_root: dir, ann_file: 'ann.json', metainfo: { classes: ['x'] }, test_mode, pipeline: [{ type: 'LoadImageFromFile', ignore_empty }] }, { path: 'dataset' }) as CocoDataset;

  it('outside test mode a dropped sample is replaced by another, drawn from the generator passed', async () => {
    const r = await make(false, true).getItem(1, new Random(0));
    expect(r.img_id).to.equal(1);
  });

  it('test mode keeps every image: a dropped sample is an error; a missing file names the annotation entry', async () => {
    const fail = async (p: Promise<unknown>) => p.then(() => '', (e: Error) => e.message);
    expect(await fail(make(true, true).getItem(1))).to.match(/ann\.json: the test pipeline dropped item 1/);
    expect(await fail(make(true, false).getItem(1))).to.match(/ann\.json: images\[1\] \(id 2\): file_name: image file .*gone\.png does not exist/);
  });

  it('the pipeline works on a copy: the dataset\'s data infos stay as read', async () => {
    const ds = make(true, false);
    const r = await ds.getItem(0);
    (r.instances as unknown[]).push('changed');
    expect(ds.getDataInfo(0).instances).to.deep.equal([]);
  });
});
