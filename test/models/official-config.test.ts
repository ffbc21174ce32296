import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ConfigError } from '../../src/core/errors';
import { loadConfig } from '../../src/config/load-config';
import { fromOfficialConfig, officialFamily, readOfficialConfig } from '../../src/models/official-config';
import { fixtureConfig } from '../fixtures/hrnet/helpers';

type Cfg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** deep-high-resolution-net.pytorch experiments/coco/hrnet/w32_256x192_adam_lr1e-3.yaml, MODEL part. */
const POSE_W32_YAML = `
MODEL:
  INIT_WEIGHTS: true
  NAME: pose_hrnet
  NUM_JOINTS: 17
  PRETRAINED: 'models/pytorch/imagenet/hrnet_w32-36af842e.pth'
  TARGET_TYPE: gaussian
  IMAGE_SIZE:
  - 192
  - 256
  HEATMAP_SIZE:
  - 48
  - 64
  SIGMA: 2
  EXTRA:
    PRETRAINED_LAYERS: ['conv1', 'bn1', 'conv2', 'bn2', 'layer1', 'transition1', 'stage2', 'transition2', 'stage3', 'transition3', 'stage4']
    FINAL_CONV_KERNEL: 1
    STAGE2:
      NUM_MODULES: 1
      NUM_BRANCHES: 2
      BLOCK: BASIC
      NUM_BLOCKS: [4, 4]
      NUM_CHANNELS: [32, 64]
      FUSE_METHOD: SUM
    STAGE3:
      NUM_MODULES: 4
      NUM_BRANCHES: 3
      BLOCK: BASIC
      NUM_BLOCKS: [4, 4, 4]
      NUM_CHANNELS: [32, 64, 128]
      FUSE_METHOD: SUM
    STAGE4:
      NUM_MODULES: 3
      NUM_BRANCHES: 4
      BLOCK: BASIC
      NUM_BLOCKS: [4, 4, 4, 4]
      NUM_CHANNELS: [32, 64, 128, 256]
      FUSE_METHOD: SUM
`;

describe('fromOfficialConfig: official HRNet yaml vocabulary → hrdet config', function () {
  it('pose: the official W32 yaml gives the shipped td-hm_hrnet-w32 network (HRNetV1, 1x1 heatmap conv)', function () {
    const dir = mkdtempSync(join(tmpdir(), 'hrdet-official-'));
    const file = join(dir, 'w32_256x192_adam_lr1e-3.yaml');
    writeFileSync(file, POSE_W32_YAML);
    const cfg = readOfficialConfig(file) as Cfg;
    const shipped = loadConfig(join(__dirname, '../../../configs/hrnet/td-hm_hrnet-w32_8xb64-210e_coco-256x192.json')).config as Cfg;
    expect(cfg.input_shape).to.deep.equal([3, 256, 192]);
    expect(cfg.model.type).to.equal('TopdownPoseEstimator');
    expect(cfg.model.backbone.extra).to.deep.equal(shipped.model.backbone.extra);
    expect(cfg.model.backbone).to.include({ multiscale_output: false, transition_input: 'last_branch' });
    expect(cfg.model.backbone.upsample_cfg).to.deep.equal({ mode: 'nearest' });
    expect(cfg.model.head).to.deep.include({ in_channels: 32, out_channels: 17, deconv_out_channels: null });
    expect(cfg.model.head.final_layer).to.deep.equal({ kernel_size: 1, padding: 0 });
  });

  it('seg: bilinear fusion with MODEL.ALIGN_CORNERS, same-branch transitions, last_layer as FCNHead', function () {
    const official = fixtureConfig('seg_tiny') as Cfg;
    const cfg = fromOfficialConfig({ ...official, MODEL: { ...official.MODEL, ALIGN_CORNERS: true }, TEST: { IMAGE_SIZE: [2048, 1024] } }) as Cfg;
    expect(officialFamily(official)).to.equal('seg');
    expect(cfg.input_shape).to.deep.equal([3, 1024, 2048]);
    expect(cfg.model.backbone.upsample_cfg).to.deep.equal({ mode: 'bilinear', align_corners: true });
    expect(cfg.model.backbone.transition_input).to.equal('same_branch');
    // STAGE1's misspelt NUM_RANCHES is not read: stage 1 always has one branch
    expect(cfg.model.backbone.extra.stage1).to.deep.equal({ num_modules: 1, num_branches: 1, block: 'BOTTLENECK', num_blocks: [1], num_channels: [8] });
    expect(cfg.model.decode_head).to.deep.include({
      type: 'FCNHead',
      channels: 120,
      num_convs: 1,
      kernel_size: 1,
      concat_input: false,
      num_classes: 19,
      align_corners: true,
      conv_bias: true,
      seg_kernel_size: 1,
      input_transform: 'resize_concat',
    });
    expect(cfg.model.decode_head.in_index).to.deep.equal([0, 1, 2, 3]);
  });

  it('cls: the hard-coded head of cls_hrnet unless the config exposes it', function () {
    const official = fixtureConfig('cls_tiny') as Cfg;
    expect((fromOfficialConfig(official) as Cfg).model.head).to.deep.include({ final_channels: 64, num_classes: 10 });
    const extra = { ...official.MODEL.EXTRA };
    delete extra.HEAD_CHANNELS;
    delete extra.HEAD_FINAL_CHANNELS;
    const head = (fromOfficialConfig({ MODEL: { NAME: 'cls_hrnet', EXTRA: extra, IMAGE_SIZE: [224, 224] } }) as Cfg).model.head;
    expect(head).to.deep.include({ type: 'HRNetClsHead', final_channels: 2048, num_classes: 1000 });
    expect(head.head_channels).to.deep.equal([32, 64, 128, 256]);
    expect(head.in_channels).to.deep.equal([8, 16, 32, 64]);
  });

  it('reports what is missing or wrong by its official path', function () {
    const pose = fixtureConfig('pose_tiny') as Cfg;
    const fails = (cfg: Cfg, re: RegExp) => {
      try {
        fromOfficialConfig(cfg);
        expect.fail('should fail');
      } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        expect((e as Error).message).to.match(re);
      }
    };
    fails({ ...pose, MODEL: { ...pose.MODEL, NUM_JOINTS: undefined } }, /^MODEL\.NUM_JOINTS: missing/);
    fails({ ...pose, MODEL: { ...pose.MODEL, NAME: 'hrnet_ocr' } }, /^MODEL\.NAME: cannot tell the HRNet family/);
    fails({ ...pose, MODEL: { ...pose.MODEL, EXTRA: { ...pose.MODEL.EXTRA, FINAL_CONV_KERNEL: 5 } } }, /^MODEL\.EXTRA\.FINAL_CONV_KERNEL: expected 1 or 3/);
    const stage3 = { ...pose.MODEL.EXTRA.STAGE3, BLOCK: 'BASICX' };
    fails({ ...pose, MODEL: { ...pose.MODEL, EXTRA: { ...pose.MODEL.EXTRA, STAGE3: stage3 } } }, /^MODEL\.EXTRA\.STAGE3\.BLOCK: expected 'BASIC' or 'BOTTLENECK'/);
  });
});
