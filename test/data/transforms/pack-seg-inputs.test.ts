import { expect } from 'chai';
import type { PackedSample } from '../../../src/data/transforms/pack-det-inputs';
import type { SegDataSample } from '../../../src/structures/seg-data-sample';
import { t } from './helpers/sample';
import { segSample } from './helpers/seg-sample';

describe("mmseg's PackSegInputs", () => {
  it('packs CHW pixels, gt_sem_seg [1, H, W] int32 and the meta keys present', () => {
    const s = { ...segSample(2, 3), img_path: 'a.jpg', seg_map_path: 'a.png', reduce_zero_label: false, scale_factor: [1, 1] as [number, number] };
    const p = t({ type: 'PackSegInputs' }).transform(s) as unknown as PackedSample<SegDataSample>;
    expect(p.inputs.shape).to.deep.equal([3, 2, 3]);
    expect(p.inputs.data[1]).to.equal(s.img!.data[3]);
    const g = p.data_samples.gt_sem_seg!;
    expect(g.shape).to.deep.equal([1, 2, 3]);
    expect(g.array).to.be.instanceOf(Int32Array);
    expect([...g.array]).to.deep.equal([255, 255, 255, 0, 1, 2]);
    expect(p.data_samples.metainfo).to.deep.equal({ img_path: 'a.jpg', seg_map_path: 'a.png', ori_shape: [2, 3], img_shape: [2, 3], scale_factor: [1, 1], reduce_zero_label: false });
    const q = t({ type: 'PackSegInputs', meta_keys: ['img_path'] }).transform({ ...s, gt_seg_map: undefined }) as unknown as PackedSample<SegDataSample>;
    expect(q.data_samples.gt_sem_seg).to.equal(undefined);
    expect(q.data_samples.metainfo).to.deep.equal({ img_path: 'a.jpg' });
  });
});
