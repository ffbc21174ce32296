import { expect } from 'chai';
import { UserError } from '../../../../src/core/errors';
import * as F from '../../../../src/core/ops';
import { build } from '../../../../src/registry/container';
import { HEADS } from '../../../../src/registry/registries';
import type { FCNMaskHead } from '../../../../src/models/heads/roi/fcn-mask-head';
import { describeOnBackends } from '../../../core/helpers/backends';
import '../../../../src/components';
import { geometryOfSamples } from '../../../../src/models/heads/roi/image-metas';
import { DetDataSample } from '../../../../src/structures/det-data-sample';
import { hostTensor } from '../../../../src/core/host-tensor';

const head = (extra: Record<string, unknown> = {}) =>
  build(HEADS, { type: 'FCNMaskHead', num_convs: 2, in_channels: 3, conv_out_channels: 4, num_classes: 5, ...extra }, { path: 'mask_head' }) as FCNMaskHead;
const cfg = { score_thr: 0.05, nms: { type: 'nms' as const, iou_threshold: 0.5 }, max_per_img: 100, mask_thr_binary: 0.5 };

describe('FCNMaskHead: layers', function () {
  it("has mmdetection's keys and shapes (convs, upsample deconv k2 s2, conv_logits per class)", function () {
    const got = [...head().namedState()].map(([k, p]) => `${k} [${p.shape.join(',')}]`);
    expect(got).to.deep.equal([
      'convs.0.conv.weight [4,3,3,3]', 'convs.0.conv.bias [4]', 'convs.1.conv.weight [4,4,3,3]', 'convs.1.conv.bias [4]',
      'upsample.weight [4,4,2,2]', 'upsample.bias [4]', 'conv_logits.weight [5,4,1,1]', 'conv_logits.bias [5]',
    ]);
  });

  it('class_agnostic has one logits channel; nearest upsampling has no upsample layer', function () {
    expect(head({ class_agnostic: true }).convLogits.weight.shape).to.deep.equal([1, 4, 1, 1]);
    const keys = [...head({ upsample_cfg: { type: 'nearest', scale_factor: 2 } }).namedState()].map(([k]) => k);
    expect(keys.some((k) => k.startsWith('upsample'))).to.equal(false);
  });

  it('refuses an unknown upsample method and carafe by config path', function () {
    expect(() => head({ upsample_cfg: { type: 'carafe', scale_factor: 2 } })).to.throw(/mask_head\.upsample_cfg\.type/);
  });
});

describeOnBackends('FCNMaskHead: forward and pasting', (h) => {
  it('maps [R, C, 14, 14] RoI features to [R, K, 28, 28] logits (ReLU after the deconv)', function () {
    const m = head();
    const y = h.run(() => h.read(m.forward(h.f32([2, 3, 14, 14], new Float32Array(2 * 3 * 14 * 14).fill(0.1)))));
    expect(y.shape).to.deep.equal([2, 5, 28, 28]);
    expect(m.outputSize([14, 14])).to.deep.equal([28, 28]);
    expect(head({ upsample_cfg: { type: null } }).outputSize([14, 14])).to.deep.equal([14, 14]);
  });

  it("selectLabel keeps each RoI's own class channel", function () {
    const m = head();
    const logits = h.f32([2, 5, 1, 1], [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]);
    const y = h.run(() => h.read(m.selectLabel(logits, h.i32([2], [3, 0]))));
    expect(Array.from(y.data as Float32Array)).to.deep.equal([3, 10]);
  });

  it('predictByFeat divides the boxes by scale_factor (w, h); pasteImage pastes them into ori_shape', function () {
    const m = head();
    const probs = h.f32([1, 2, 2], [1, 1, 1, 1]);
    const boxes = h.f32([1, 4], [1, 1, 3, 2]);
    const images = () => geometryOfSamples([new DetDataSample({ img_shape: [2, 4], scale_factor: [0.5, 0.5] })]);
    const det = { bboxes: boxes, scores: h.f32([1], [0.9]), labels: h.i32([1], [0]) };
    const scaled = h.run(() => Array.from(h.read(m.predictByFeat([probs], [det], images(), true)[0].bboxes).data as Float32Array));
    expect(scaled).to.deep.equal([2, 2, 6, 4]);
    const hostProbs = hostTensor('float32', [1, 2, 2], Float32Array.of(1, 1, 1, 1));
    const masks = m.pasteImage(hostProbs, hostTensor('float32', [1, 5], Float32Array.of(2, 2, 6, 4, 0.9)), [4, 8], [0.5, 0.5], true, cfg);
    expect([masks.length, masks.height, masks.width]).to.deep.equal([1, 4, 8]);
    const rows = Array.from({ length: 4 }, (_, y) => Array.from(masks.mask(0).subarray(y * 8, (y + 1) * 8)).join(''));
    expect(rows).to.deep.equal(['00000000', '00000000', '00111100', '00111100']);
    // without rescale: the resized frame round(ori * scale) and the boxes as they are
    expect(h.run(() => Array.from(h.read(m.predictByFeat([probs], [det], images(), false)[0].bboxes).data as Float32Array))).to.deep.equal([1, 1, 3, 2]);
    const s = m.pasteImage(hostProbs, hostTensor('float32', [1, 4], Float32Array.of(1, 1, 3, 2)), [4, 8], [0.5, 0.5], false, cfg);
    expect([s.height, s.width]).to.deep.equal([2, 4]);
  });

  it('needs test_cfg.rcnn.mask_thr_binary and refuses a negative one', function () {
    const m = head();
    const probs = hostTensor('float32', [1, 2, 2], Float32Array.of(1, 1, 1, 1));
    const boxes = hostTensor('float32', [1, 4], Float32Array.of(1, 1, 3, 2));
    const { mask_thr_binary: _t, ...noThr } = cfg;
    expect(() => m.pasteImage(probs, boxes, [4, 8], [1, 1], true, noThr)).to.throw(UserError, /mask_thr_binary/);
    expect(() => m.pasteImage(probs, boxes, [4, 8], [1, 1], true, { ...cfg, mask_thr_binary: -1 })).to.throw(UserError, /mask_thr_binary -1/);
  });
});
