import { join } from 'node:path';
import { expect } from 'chai';
import { buildModel } from '../../../src/apis/build-model';
import { loadConfig } from '../../../src/config/load-config';
import { CascadeRCNN } from '../../../src/models/detectors/cascade-rcnn';
import { FasterRCNN } from '../../../src/models/detectors/faster-rcnn';
import { MaskRCNN } from '../../../src/models/detectors/mask-rcnn';
import { CascadeRoIHead } from '../../../src/models/heads/roi/cascade-roi-head';
import { REPO_ROOT } from '../../fixture-root';
import '../../../src/components';

const cfgPath = (f: string) => join(REPO_ROOT, 'configs', f);
const params = async (f: string) => (await buildModel(cfgPath(f), { initWeights: false })).model.numParameters();

/** Parameters counted by hand (256-channel pyramid, 7x7 box RoIs, 14x14 mask RoIs, 80 classes). */
const RPN = 256 * 256 * 9 + 256 + (256 * 3 + 3) + (256 * 12 + 12);
const FCS = 256 * 49 * 1024 + 1024 + (1024 * 1024 + 1024) + (1024 * 81 + 81);
const BOX_HEAD = FCS + 1024 * 320 + 320; // class-specific deltas
const CASCADE_STAGE = FCS + 1024 * 4 + 4; // class-agnostic deltas
const MASK_HEAD = 4 * (256 * 256 * 9 + 256) + (256 * 256 * 4 + 256) + (256 * 80 + 80);

describe('shipped Faster / Mask / Cascade (Mask) R-CNN configs: the _base_ tree', function () {
  this.timeout(120000);

  it('HRNetV2p-W18 Faster R-CNN = HRNetV2p-W18 + HRFPN (as hrnetv2p-w18-hrfpn) + RPN + box head', async function () {
    const pyramid = await params('hrnet/hrnetv2p-w18-hrfpn.json');
    const { model, config } = await buildModel(cfgPath('hrnet/faster-rcnn_hrnetv2p-w18-1x_coco.json'), { initWeights: false });
    expect(model).to.be.instanceOf(FasterRCNN);
    expect(model.numParameters()).to.equal(pyramid + RPN + BOX_HEAD);
    const m = (config as { model: { backbone: { type: string }; neck: Record<string, unknown> } }).model;
    expect(m.backbone.type).to.equal('HRNet');
    expect(m.neck).to.include({ type: 'HRFPN', out_channels: 256 });
    expect(m.neck.in_channels).to.deep.equal([18, 36, 72, 144]);
  });

  it('Mask R-CNN adds one FCN mask head; Cascade R-CNN three class-agnostic box heads; Cascade Mask R-CNN three mask heads', async function () {
    const faster = await params('hrnet/faster-rcnn_hrnetv2p-w18-1x_coco.json');
    expect(await params('hrnet/mask-rcnn_hrnetv2p-w18-1x_coco.json')).to.equal(faster + MASK_HEAD);
    expect(await params('hrnet/cascade-rcnn_hrnetv2p-w18-20e_coco.json')).to.equal(faster - BOX_HEAD + 3 * CASCADE_STAGE);
    expect(await params('hrnet/cascade-mask-rcnn_hrnetv2p-w18-20e_coco.json')).to.equal(faster - BOX_HEAD + 3 * CASCADE_STAGE + 3 * MASK_HEAD);
  });

  it('the R-50 configs build their detectors with the stage stds, mask threshold and data / schedule bases', async function () {
    const cascade = await buildModel(cfgPath('cascade_rcnn/cascade-rcnn_r50_fpn_1x_coco.json'), { initWeights: false });
    expect(cascade.model).to.be.instanceOf(CascadeRCNN);
    const roi = (cascade.model as CascadeRCNN).roiHead as CascadeRoIHead;
    expect([...roi.bboxHead].map((h) => [...h.bboxCoder.stds])).to.deep.equal([[0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067]]);
    expect([...roi.bboxHead].every((h) => h.regClassAgnostic)).to.equal(true);
    expect(roi.stageLossWeights).to.deep.equal([1, 0.5, 0.25]);
    const c = cascade.config as Record<string, any>;
    expect(c.model.train_cfg.rcnn.map((s: any) => s.assigner.pos_iou_thr)).to.deep.equal([0.5, 0.6, 0.7]);
    expect(c.train_cfg).to.deep.equal({ type: 'EpochBasedTrainLoop', max_epochs: 12, val_interval: 1 });
    expect(c.val_evaluator.metric).to.equal('bbox');
    const mask = await buildModel(cfgPath('mask_rcnn/mask-rcnn_r50_fpn_1x_coco.json'), { initWeights: false });
    expect(mask.model).to.be.instanceOf(MaskRCNN);
    const mc = mask.config as Record<string, any>;
    expect(mc.model.test_cfg.rcnn.mask_thr_binary).to.equal(0.5);
    expect(mc.model.data_preprocessor.pad_mask).to.equal(true);
    expect(mc.val_evaluator.metric).to.deep.equal(['bbox', 'segm']);
    expect(mc.train_dataloader.dataset.pipeline[1]).to.deep.equal({ type: 'LoadAnnotations', with_bbox: true, with_mask: true });
  });

  it('the 20e HRNet configs override the schedule as mmdetection does; w18/w40 narrow the w32 config', function () {
    const c = loadConfig(cfgPath('hrnet/cascade-mask-rcnn_hrnetv2p-w18-20e_coco.json')).config as Record<string, any>;
    expect(c.train_cfg.max_epochs).to.equal(20);
    expect(c.param_scheduler[1]).to.include({ type: 'MultiStepLR', end: 20 });
    expect(c.param_scheduler[1].milestones).to.deep.equal([16, 19]);
    expect(c.model.backbone.extra.stage4.num_channels).to.deep.equal([18, 36, 72, 144]);
    expect(c.model.backbone.extra.stage1.num_channels).to.deep.equal([64]);
    expect(c.model.roi_head.mask_head.type).to.equal('FCNMaskHead');
    const w40 = loadConfig(cfgPath('hrnet/cascade-rcnn_hrnetv2p-w40-20e_coco.json')).config as Record<string, any>;
    expect(w40.model.neck.in_channels).to.deep.equal([40, 80, 160, 320]);
    expect(w40.model.backbone).to.not.have.property('depth');
  });
});
