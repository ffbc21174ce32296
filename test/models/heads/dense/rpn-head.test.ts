import { expect } from 'chai';
import { build } from '../../../../src/registry/container';
import { HEADS } from '../../../../src/registry/registries';
import type { RPNHead } from '../../../../src/models/heads/dense/rpn-head';
import { DetDataSample } from '../../../../src/structures/det-data-sample';
import { describeOnBackends } from '../../../core/helpers/backends';
import '../../../../src/components';

/** Two levels (strides 4, 8), one square anchor per cell (sides 8 and 16), centred on each cell's top-left corner. */
function rpn(testCfg: Record<string, unknown>): RPNHead {
  return build(
    HEADS,
    {
      type: 'RPNHead',
      in_channels: 1,
      feat_channels: 1,
      anchor_generator: { type: 'AnchorGenerator', scales: [2], ratios: [1.0], strides: [4, 8] },
      test_cfg: { nms: { type: 'nms', iou_threshold: 0.4 }, ...testCfg },
    },
    { path: 'rpn_head' },
  ) as RPNHead;
}

const logit = (p: number) => Math.log(p / (1 - p));

describeOnBackends('RPNHead.predictByFeat on hand-made outputs', (h) => {
  // level 0 (2 x 2 cells) anchors clipped to the 8 x 8 image: (0,0) [0,0,4,4], (1,0) [0,0,8,4],
  // (0,1) [0,0,4,8], (1,1) [0,0,8,8]; level 1 (1 cell): [0,0,8,8]
  function run(testCfg: Record<string, unknown>, reg0: number[] = new Array(16).fill(0)) {
    return h.run(() => {
      const out = {
        clsScores: [h.f32([1, 1, 2, 2], [0.9, 0.8, 0.7, 0.6].map(logit)), h.f32([1, 1, 1, 1], [logit(0.95)])],
        bboxPreds: [h.f32([1, 4, 2, 2], reg0), h.f32([1, 4, 1, 1], [0, 0, 0, 0])],
      };
      const [p] = rpn(testCfg).predictByFeat(out, [new DetDataSample({ img_shape: [8, 8] })]);
      return Array.from(h.read(p).data as Float32Array);
    });
  }
  const near = (got: number[], want: number[]) => {
    expect(got.length).to.equal(want.length);
    got.forEach((v, i) => expect(v).to.be.closeTo(want[i], 1e-5));
  };

  it('keeps the top nms_pre per level and suppresses only within a level', function () {
    // level 0: 0.9 suppresses 0.8 and 0.7 (IoU 0.5 > 0.4); 0.6 was cut by nms_pre; level 1's box overlaps but is another level
    near(run({ nms_pre: 3, max_per_img: 10, min_bbox_size: 0 }), [0, 0, 8, 8, 0.95, 0, 0, 4, 4, 0.9]);
  });

  it('drops boxes clipped to nothing (min_bbox_size) before NMS, then cuts at max_per_img', function () {
    const reg0 = new Array(16).fill(0);
    reg0[4] = -1; // dy of cell (0,0): the box moves above the image and is clipped to zero height
    near(run({ nms_pre: 3, max_per_img: 10, min_bbox_size: 0 }, reg0), [0, 0, 8, 8, 0.95, 0, 0, 8, 4, 0.8, 0, 0, 4, 8, 0.7]);
    near(run({ nms_pre: 3, max_per_img: 2, min_bbox_size: 0 }, reg0), [0, 0, 8, 8, 0.95, 0, 0, 8, 4, 0.8]);
  });

  it('keeps every anchor when nms_pre is -1 and refuses to predict without test_cfg', function () {
    // all four level-0 boxes: 0.9 suppresses 0.8 and 0.7; 0.6 ([0,0,8,8], IoU 0.25 with [0,0,4,4]) stays
    near(run({ max_per_img: 10 }), [0, 0, 8, 8, 0.95, 0, 0, 4, 4, 0.9, 0, 0, 8, 8, 0.6]);
    const head = build(HEADS, { type: 'RPNHead', in_channels: 1, anchor_generator: { type: 'AnchorGenerator', scales: [8], ratios: [1], strides: [4] } }, { path: 'rpn_head' }) as RPNHead;
    expect(() => head.predictByFeat({ clsScores: [], bboxPreds: [] }, [])).to.throw(/test_cfg\.rpn/);
  });
});
