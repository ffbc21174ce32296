import type { Tensor } from '../../../src/core/tensor';
/** The loss and predict sides of the pose, segmentation and classification heads, against hand-computed values. */
import { expect } from 'chai';
import '../../../src/components';
import { hostTensor } from '../../../src/core/host-tensor';
import { build } from '../../../src/registry/container';
import { HEADS } from '../../../src/registry/registries';
import type { HeatmapHead } from '../../../src/models/heads/pose/heatmap-head';
import type { FCNHead } from '../../../src/models/heads/seg/fcn-head';
import { topkAccuracy, type ClsHead } from '../../../src/models/heads/cls/cls-head';
import { flipHeatmaps } from '../../../src/models/heads/pose/flip-heatmaps';
import { PoseDataSample } from '../../../src/structures/pose-data-sample';
import { SegDataSample } from '../../../src/structures/seg-data-sample';
import { ClsDataSample } from '../../../src/structures/cls-data-sample';
import { PixelData } from '../../../src/structures/pixel-data';
import { describeOnBackends } from '../../core/helpers/backends';

describeOnBackends('heads: loss and predict sides', (h) => {
  it('HeatmapHead.lossByFeat: loss_kpt is the target-weighted MSE over every element; acc_pose is PCK of the arg-maxes', () => {
    const head = build(HEADS, { type: 'HeatmapHead', in_channels: 2, out_channels: 2, deconv_out_channels: null }, { path: 'model.head' }) as HeatmapHead;
    const pred = Float32Array.from({ length: 2 * 4 * 4 }, (_, i) => (i % 5) / 5);
    const target = new Float32Array(2 * 4 * 4);
    target[5] = 1; // keypoint 0 peak at (1, 1)
    target[16 + 10] = 1; // keypoint 1 peak at (2, 2)
    const s = new PoseDataSample();
    s.gt_targets = { heatmaps: hostTensor('float32', [2, 4, 4], target), keypoint_weights: hostTensor('float32', [1, 2], Float32Array.of(1, 0.5)) };
    const losses = h.run(() => head.lossByFeat(h.f32([1, 2, 4, 4], pred), [s]));
    let want = 0;
    for (let i = 0; i < 32; i++) want += (i < 16 ? 1 : 0.5) * (pred[i] - target[i]) ** 2;
    expect(h.read(losses.get('loss_kpt') as Tensor).data[0]).to.be.closeTo(want / 32, 1e-6);
    // predicted arg-maxes (0, 1) and (3, 0) against targets (1, 1) and (2, 2): both beyond PCK@0.05
    expect(h.read(losses.get('acc_pose') as Tensor).data[0]).to.equal(0);
  });

  it('flipHeatmaps mirrors, swaps the keypoint pairs and shifts one pixel right', () => {
    // 2 keypoints, 1x3 maps: k0 = [1, 2, 3], k1 = [4, 5, 6]
    const x = h.f32([1, 2, 1, 3], [1, 2, 3, 4, 5, 6]);
    const y = h.run(() => h.read(flipHeatmaps(x, [1, 0], true)));
    // mirrored: k0 = [3,2,1], k1 = [6,5,4]; swapped: [6,5,4], [3,2,1]; shifted: [6,6,5], [3,3,2]
    expect([...y.data]).to.deep.equal([6, 6, 5, 3, 3, 2]);
  });

  it('FCNHead.lossByFeat: decode loss under its loss_name and acc_seg over non-ignored pixels', () => {
    const head = build(
      HEADS,
      { type: 'FCNHead', in_channels: 2, channels: 2, num_convs: 0, concat_input: false, num_classes: 2, dropout_ratio: 0, loss_decode: { type: 'CrossEntropyLoss', loss_name: 'loss_ce' } },
      { path: 'model.decode_head' },
    ) as FCNHead;
    // logits [1, 2, 1, 2]: class 0 = [0, 2], class 1 = [1, 0] over the two pixels
    const logits = h.f32([1, 2, 1, 2], [0, 2, 1, 0]);
    const s = new SegDataSample();
    s.gt_sem_seg = new PixelData(Uint8Array.of(1, 255), [1, 1, 2]);
    const losses = h.run(() => head.lossByFeat(logits, [s]));
    // CE at pixel 0 (label 1) = log(e^0 + e^1) - 1; pixel 1 ignored but counted in the mean (avg_non_ignore false)
    expect(h.read(losses.get('loss_ce') as Tensor).data[0]).to.be.closeTo((Math.log(1 + Math.E) - 1) / 2, 1e-6);
    expect(h.read(losses.get('acc_seg') as Tensor).data[0]).to.equal(100);
  });

  it('ClsHead (HRNetClsHead): loss is mean cross-entropy, accuracy_top-k in percent, predict gives softmax and arg-max', () => {
    const head = build(
      HEADS,
      { type: 'HRNetClsHead', in_channels: [2, 2, 2, 2], head_channels: [1, 1, 1, 1], final_channels: 4, num_classes: 3, topk: [1, 2], cal_acc: true },
      { path: 'model.head' },
    ) as ClsHead;
    const logits = h.f32([2, 3], [2, 1, 0, 0, 0, 3]);
    const samples = [new ClsDataSample(), new ClsDataSample()];
    samples[0].gt_label = Int32Array.of(1);
    samples[1].gt_label = Int32Array.of(2);
    const losses = h.run(() => head.lossByFeat(logits, samples));
    const lse = (a: number[]) => Math.log(a.reduce((s, v) => s + Math.exp(v), 0));
    const want = (lse([2, 1, 0]) - 1 + (lse([0, 0, 3]) - 3)) / 2;
    expect(h.read(losses.get('loss') as Tensor).data[0]).to.be.closeTo(want, 1e-5);
    expect(h.read(losses.get('accuracy_top-1') as Tensor).data[0]).to.equal(50);
    expect(h.read(losses.get('accuracy_top-2') as Tensor).data[0]).to.equal(100);
    const pred = h.run(() => head.predictByFeat(logits, samples));
    expect(pred.labels).to.deep.equal([0, 2]);
    expect(pred.scores[1][2]).to.be.closeTo(Math.exp(3) / (2 + Math.exp(3)), 1e-6);
  });

  it('topkAccuracy breaks ties towards the lower class index', () => {
    expect(topkAccuracy(Float32Array.of(1, 1, 0), Int32Array.of(1), 3, [1, 2])).to.deep.equal([0, 100]);
  });
});
