import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeImage } from '../../../src/data/image-io/encode-image';
import { reduceZeroLabel } from '../../../src/data/transforms/seg-load-annotations';
import type { Results, Transform } from '../../../src/data/transforms/results';
import { withDefaultScope } from '../../../src/registry/registry';
import { t } from './helpers/sample';

const load = (cfg: Record<string, unknown> = {}) => withDefaultScope('mmseg', () => t({ type: 'LoadAnnotations', ...cfg })) as Transform;

describe("mmseg's LoadAnnotations", () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hrdet-segload-'));
    file = join(dir, 'a.png');
    await writeImage(file, { data: Uint8Array.from([0, 1, 2, 254, 255, 7]), height: 2, width: 3, channels: 1, order: 'gray' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads seg_map_path into gt_seg_map and lists it in seg_fields', async () => {
    const r = (await load().transform({ seg_map_path: file, reduce_zero_label: false, seg_fields: [] })) as Results;
    expect([...r.gt_seg_map!.data]).to.deep.equal([0, 1, 2, 254, 255, 7]);
    expect([r.gt_seg_map!.height, r.gt_seg_map!.width, r.gt_seg_map!.channels]).to.deep.equal([2, 3, 1]);
    expect(r.seg_fields).to.deep.equal(['gt_seg_map']);
  });

  it('reduce_zero_label (from the dataset): 0 -> 255, k -> k - 1, 255 stays 255', async () => {
    const r = (await load().transform({ seg_map_path: file, reduce_zero_label: true })) as Results;
    expect([...r.gt_seg_map!.data]).to.deep.equal([255, 0, 1, 253, 255, 6]);
    expect([...reduceZeroLabel(Uint8Array.from([0, 1, 255, 100]))]).to.deep.equal([255, 0, 255, 99]);
  });

  it("applies the dataset's label_map after reduce_zero_label, from the unmapped labels", async () => {
    const r = (await load().transform({ seg_map_path: file, reduce_zero_label: false, label_map: { 0: 1, 1: 0, 2: 255 } })) as Results;
    expect([...r.gt_seg_map!.data]).to.deep.equal([1, 0, 255, 254, 255, 7]);
  });

  it('an option disagreeing with the dataset, a missing seg_map_path and a missing file are one-line errors', async () => {
    const fails = async (p: Promise<unknown>, re: RegExp) => {
      try {
        await p;
        expect.fail('should be refused');
      } catch (e) {
        expect((e as Error).message).to.match(re);
      }
    };
    await fails(Promise.resolve(load({ reduce_zero_label: true }).transform({ seg_map_path: file, reduce_zero_label: false })), /reduce_zero_label is true but the dataset's is false/);
    await fails(Promise.resolve(load().transform({ img_path: 'x.jpg' })), /^x\.jpg: LoadAnnotations needs seg_map_path/);
    await fails(Promise.resolve(load().transform({ seg_map_path: join(dir, 'nope.png') })), /nope\.png: no such segmentation map file$/);
    // outside the mmseg scope LoadAnnotations is mmdet's, whose reduce_zero_label (mmdet 3.3, with_seg) is true or false
    expect(() => t({ type: 'LoadAnnotations', reduce_zero_label: null })).to.throw(/pipeline\.0\.reduce_zero_label/);
  });
});
