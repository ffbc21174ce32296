import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { analyzeModel } from '../../src/apis/analyze';
import { analyzeDetector } from '../../src/apis/analyze-detector';
import { BackboneNeck } from '../../src/apis/benchmark/backbone-neck';
import { buildModel } from '../../src/apis/build-model';
import { UserError } from '../../src/core/errors';
import type { ConfigObject } from '../../src/config/config-tree';
import type { FCOS } from '../../src/models/detectors/fcos';
import type { TwoStageDetector } from '../../src/models/detectors/two-stage-detector';
import { ROOT } from '../cli/run-cli';
import { sharedFixtures } from '../fixture-root';

const TINY = join(ROOT, 'test', 'apis', 'benchmark');
const tinyConfig = (name: string): ConfigObject => JSON.parse(readFileSync(join(TINY, name), 'utf8'));

const MASK_EXTRACTOR = {
  type: 'SingleRoIExtractor',
  roi_layer: { type: 'RoIAlign', output_size: 14, sampling_ratio: 0 },
  out_channels: 32,
  featmap_strides: [4, 8, 16, 32],
};

/** The tiny Faster R-CNN (HRNet, HRFPN 32 channels, 5 levels) with a mask branch (4 convs of 32 channels). */
function withMask(cfg: ConfigObject): ConfigObject {
  const model = cfg.model as Record<string, any>;
  model.type = 'MaskRCNN';
  model.roi_head.mask_roi_extractor = MASK_EXTRACTOR;
  model.roi_head.mask_head = { type: 'FCNMaskHead', num_convs: 4, in_channels: 32, conv_out_channels: 32, num_classes: 80 };
  model.test_cfg.rcnn.mask_thr_binary = 0.5;
  return cfg;
}

/** Three cascade stages of the tiny box head (class-agnostic regression) and, with `mask`, three mask heads. */
function cascade(cfg: ConfigObject, mask: boolean): ConfigObject {
  const model = cfg.model as Record<string, any>;
  const std = model.roi_head;
  const box = { ...(std.bbox_head as Record<string, unknown>), reg_class_agnostic: true };
  model.type = 'CascadeRCNN';
  model.roi_head = {
    type: 'CascadeRoIHead',
    num_stages: 3,
    stage_loss_weights: [1, 0.5, 0.25],
    bbox_roi_extractor: std.bbox_roi_extractor,
    bbox_head: [box, box, box],
    ...(mask ? { mask_roi_extractor: MASK_EXTRACTOR, mask_head: { type: 'FCNMaskHead', num_convs: 4, in_channels: 32, conv_out_channels: 32, num_classes: 80 } } : {}),
  };
  if (mask) model.test_cfg.rcnn.mask_thr_binary = 0.5;
  return cfg;
}

// Hand counts at 3x64x64 (HRFPN levels 16², 8², 4², 2², 1² = 341 positions):
// RPN per position: 3x3 conv 32->32 (9216), cls 1x1 32->3 (96), reg 1x1 32->12 (384)
const RPN = 341 * (9216 + 96 + 384);
// Shared2FCBBoxHead per RoI: 32*7*7 -> 64, 64 -> 64, 64 -> 81 (cls), 64 -> 320 (reg, class-specific)
const BOX = 1568 * 64 + 64 * 64 + 64 * 81 + 64 * 320;
const BOX_AGNOSTIC = 1568 * 64 + 64 * 64 + 64 * 81 + 64 * 4;
// FCNMaskHead per RoI: 4 convs 3x3 32->32 at 14x14, deconv 32->32 k2 s2 (per input position), 1x1 32->80 at 28x28
const MASK_CONVS = 4 * 32 * 32 * 9 * 196 + 80 * 32 * 784;
const MASK_DECONV = 32 * 32 * 4 * 196;

describe('analyzeDetector', function () {
  this.timeout(60000);
  const build = async (cfg: ConfigObject) => (await buildModel(cfg, { initWeights: false })).model;
  const stem = (m: TwoStageDetector) => analyzeModel(new BackboneNeck(m), { inputShape: [3, 64, 64] }).macs;

  it('Faster R-CNN: dense part + RoIs × the box head of one RoI, by hand', async () => {
    const model = (await build(tinyConfig('tiny-faster-rcnn.json'))) as TwoStageDetector;
    const a = analyzeDetector(model, { inputShape: [3, 64, 64], rois: 7 });
    expect(a.macsPerRoi).to.equal(BOX);
    expect(a.macsDense).to.equal(stem(model) + RPN);
    expect(a.macs).to.equal(a.macsDense + 7 * BOX);
    expect(a.macsByOp.linear).to.equal(7 * BOX);
    expect(a.params).to.equal(model.numParameters());
    expect(a.rois).to.equal(7);
    expect(a.partial).to.equal(false);
    expect(a.counted).to.equal('backbone + neck + RPN head + RoI box head at 7 RoIs per image');
    expect(a.modules.find((m) => m.name === 'roi_head.bbox_head')?.macs).to.equal(7 * BOX);
    expect(a.outputs.map((o) => o.name)).to.include.members(['rpn_cls.0', 'rpn_reg.4', 'rcnn_cls_score', 'rcnn_bbox_pred']);
    // the default is test_cfg.rpn.max_per_img (100 here); 0 RoIs still reports the per-RoI count
    expect(analyzeDetector(model, { inputShape: [3, 64, 64] }).rois).to.equal(100);
    const none = analyzeDetector(model, { inputShape: [3, 64, 64], rois: 0 });
    expect([none.macs, none.macsDense, none.macsPerRoi]).to.deep.equal([a.macsDense, a.macsDense, BOX]);
    expect(none.macsPerRoiByHead).to.deep.equal({ bbox: BOX, mask: 0 });
  });

  it('Mask R-CNN: the mask head (convs, deconv, logits) counts per RoI like the box head', async () => {
    const model = (await build(withMask(tinyConfig('tiny-faster-rcnn.json')))) as TwoStageDetector;
    const a = analyzeDetector(model, { inputShape: [3, 64, 64], rois: 5 });
    expect(a.macsPerRoi).to.equal(BOX + MASK_CONVS + MASK_DECONV);
    expect(a.macsPerRoiByHead).to.deep.equal({ bbox: BOX, mask: MASK_CONVS + MASK_DECONV });
    expect(a.macsByOp.conv_transpose2d).to.equal(5 * MASK_DECONV);
    expect(a.macsDense).to.equal(stem(model) + RPN);
    expect(a.macs).to.equal(a.macsDense + 5 * a.macsPerRoi);
    expect(a.modules.find((m) => m.name === 'roi_head.mask_head')?.macs).to.equal(5 * (MASK_CONVS + MASK_DECONV));
    expect(a.counted).to.match(/RoI box and mask heads at 5 RoIs per image/);
  });

  it('Cascade (Mask) R-CNN: every stage\'s box and mask head', async () => {
    const boxes = (await build(cascade(tinyConfig('tiny-faster-rcnn.json'), false))) as TwoStageDetector;
    const a = analyzeDetector(boxes, { inputShape: [3, 64, 64], rois: 3 });
    expect(a.macsPerRoi).to.equal(3 * BOX_AGNOSTIC);
    expect(a.counted).to.match(/\(3 stages\) at 3 RoIs/);
    expect(a.outputs.map((o) => o.name)).to.include.members(['rcnn_cls_score.0', 'rcnn_cls_score.2']);
    const masks = (await build(cascade(tinyConfig('tiny-faster-rcnn.json'), true))) as TwoStageDetector;
    const b = analyzeDetector(masks, { inputShape: [3, 64, 64], rois: 3 });
    expect(b.macsPerRoi).to.equal(3 * (BOX_AGNOSTIC + MASK_CONVS + MASK_DECONV));
    expect(b.macsPerRoiByHead).to.deep.equal({ bbox: 3 * BOX_AGNOSTIC, mask: 3 * (MASK_CONVS + MASK_DECONV) });
    expect(b.macs).to.equal(stem(masks) + RPN + 3 * b.macsPerRoi);
    expect(b.params).to.equal(masks.numParameters());
  });

  it('FCOS: the whole model is dense, no RoIs', async () => {
    const model = (await build(tinyConfig('tiny-fcos.json'))) as FCOS;
    const a = analyzeDetector(model, { inputShape: [3, 64, 64], rois: 512 });
    // HRFPN stride 2: levels 8², 4², 2², 1², 1² = 86 positions; per position one 3x3 32->32 conv in each
    // tower, conv_cls 3x3 32->80, conv_reg 3x3 32->4, conv_centerness 3x3 32->1
    expect(a.modules.find((m) => m.name === 'bbox_head')?.macs).to.equal(86 * (2 * 9216 + 9 * 32 * (80 + 4 + 1)));
    expect([a.macsDense, a.macsPerRoi, a.rois]).to.deep.equal([a.macs, 0, null]);
    expect(a.macs).to.equal(analyzeModel(model, { inputShape: [3, 64, 64] }).macs);
  });

  it("counts exactly the parameters of mmdetection's own tiny detectors (det fixtures' stats.json)", async () => {
    for (const name of ['faster_rcnn_tiny', 'cascade_rcnn_tiny', 'mask_rcnn_tiny', 'fcos_tiny']) {
      const dir = join(sharedFixtures(), 'det', name);
      const { model: cfg } = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      const { params } = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8'));
      const model = (await build({ model: cfg })) as TwoStageDetector | FCOS;
      expect(analyzeDetector(model, { inputShape: [3, 128, 160], rois: 10 }).params, name).to.equal(params);
    }
  });

  it('refuses a bad RoI count or input in one line', async () => {
    const model = (await build(tinyConfig('tiny-faster-rcnn.json'))) as TwoStageDetector;
    expect(() => analyzeDetector(model, { inputShape: [3, 64, 64], rois: -1 })).to.throw(UserError, /non-negative integer, got -1/);
    expect(() => analyzeDetector(model, { inputShape: [1, 64, 64] })).to.throw(UserError, /1 channels but the model expects 3/);
  });
});
