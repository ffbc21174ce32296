import { expect } from 'chai';
import { hostTensor } from '../../../src/core/host-tensor';
import type { PackedSample } from '../../../src/data/transforms/pack-det-inputs';
import type { PoseResults } from '../../../src/data/transforms/pose-results';
import { packPoseInputsSchema } from '../../../src/data/transforms/pack-pose-inputs';
import type { Boxes } from '../../../src/structures/boxes';
import { PoseDataSample } from '../../../src/structures/pose-data-sample';
import { ramp } from './helpers/sample';
import { pt } from './helpers/pose-sample';

describe('PackPoseInputs (mmpose)', () => {
  const results = (): PoseResults => ({
    img: ramp(4, 3),
    id: 7,
    img_id: 2,
    img_path: 'a.jpg',
    category_id: 1,
    ori_shape: [40, 30],
    img_shape: [40, 30],
    input_size: [3, 4],
    input_center: [15, 20],
    input_scale: [9, 12],
    flip: false,
    flip_direction: null,
    flip_indices: [0, 2, 1],
    dataset_name: 'coco',
    bbox: [[10, 14, 20, 26]],
    bbox_score: [0.9],
    bbox_scale: [[9, 12]],
    keypoints: [[[1, 2], [3, 4], [5, 6]]],
    keypoints_visible: [[1, 0, 1]],
    heatmaps: hostTensor('float32', [3, 2, 2], new Float32Array(12).fill(0.5)),
    keypoint_weights: [[1, 0, 1]],
    upper_body_ids: [0],
  });

  it("mmpose's default meta keys", () => {
    expect(packPoseInputsSchema.parse({}).meta_keys).to.deep.equal([
      'id', 'img_id', 'img_path', 'category_id', 'crowd_index', 'ori_shape', 'img_shape', 'input_size', 'input_center',
      'input_scale', 'flip', 'flip_direction', 'flip_indices', 'raw_ann_info', 'dataset_name',
    ]);
  });

  it('packs the CHW crop, the metas present, gt_instances and the heatmap targets the head reads', () => {
    const { inputs, data_samples: s } = pt({ type: 'PackPoseInputs' }).transform(results()) as unknown as PackedSample<PoseDataSample>;
    expect(inputs.shape).to.deep.equal([3, 4, 3]);
    expect(inputs.dtype).to.equal('uint8');
    expect(inputs.data[1]).to.equal(10); // channel 0 of pixel (0, 1)
    expect(s).to.be.instanceOf(PoseDataSample);
    expect(s.metainfo).to.deep.equal({
      id: 7, img_id: 2, img_path: 'a.jpg', category_id: 1, ori_shape: [40, 30], img_shape: [40, 30], input_size: [3, 4], input_center: [15, 20],
      input_scale: [9, 12], flip: false, flip_direction: null, flip_indices: [0, 2, 1], dataset_name: 'coco',
    });
    const gt = s.gt_instances!;
    expect((gt.bboxes as Boxes).rows()).to.deep.equal([[10, 14, 20, 26]]);
    expect([...gt.bbox_scores!]).to.deep.equal([Math.fround(0.9)]);
    expect(gt.keypoints!.shape).to.deep.equal([1, 3, 2]);
    expect([...gt.keypoints!.data]).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(gt.keypoints_visible!.shape).to.deep.equal([1, 3]);
    expect(gt.bbox_scales!.shape).to.deep.equal([1, 2]);
    expect(s.gt_targets!.heatmaps.shape).to.deep.equal([3, 2, 2]);
    expect(s.gt_targets!.keypoint_weights.shape).to.deep.equal([1, 3]);
    expect([...s.gt_targets!.keypoint_weights.data]).to.deep.equal([1, 0, 1]);
  });

  it('without targets (test pipeline) packs no gt_targets; no image is an error', () => {
    const r = results();
    delete r.heatmaps;
    const { data_samples: s } = pt({ type: 'PackPoseInputs', meta_keys: ['id'] }).transform(r) as unknown as PackedSample<PoseDataSample>;
    expect(s.gt_targets).to.equal(undefined);
    expect(s.metainfo).to.deep.equal({ id: 7 });
    expect(() => pt({ type: 'PackPoseInputs' }).transform({ img_path: 'b.jpg' })).to.throw(/b\.jpg: PackPoseInputs needs an image/);
  });
});
