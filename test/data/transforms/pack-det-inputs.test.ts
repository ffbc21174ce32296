import { expect } from 'chai';
import { Boxes } from '../../../src/structures/boxes';
import { BitmapMasks } from '../../../src/structures/masks';
import '../../../src/components';
import { t } from './helpers/sample';
import { PackDetInputs } from '../../../src/data/transforms/pack-det-inputs';
import type { Results } from '../../../src/data/transforms/results';

describe('PackDetInputs', () => {
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
