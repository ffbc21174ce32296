import { join } from 'node:path';
import { expect } from 'chai';
import { buildModel } from '../../../src/apis/build-model';
import { FCOS } from '../../../src/models/detectors/fcos';
import { REPO_ROOT } from '../../fixture-root';

/**
 * The shipped FCOS configs, counted by hand: ResNet body (torchvision's, without fc) + FPN from
 * C3 (three 1x1 laterals with bias, five 3x3 outputs with bias, P6 on the 256-channel output) +
 * the GN head (towers without conv bias, 'auto'; GN affine; 3x3 cls / reg / centerness; 5 scales).
 */
const FPN = (512 + 1024 + 2048) * 256 + 3 * 256 + 5 * (256 * 256 * 9 + 256);
const HEAD = 2 * 4 * (256 * 256 * 9 + 2 * 256) + (256 * 80 * 9 + 80) + (256 * 4 * 9 + 4) + (256 * 9 + 1) + 5;
const CASES = [
  { file: 'fcos_r50-caffe_fpn_gn-head_1x_coco.json', depth: 50, resnet: 23508032 },
  { file: 'fcos_r101-caffe_fpn_gn-head-1x_coco.json', depth: 101, resnet: 42500160 },
];

describe('shipped FCOS configs', function () {
  for (const c of CASES) {
    it(`${c.file}: caffe ResNet-${c.depth} + FPN P3-P7 + GN head, ${c.resnet + FPN + HEAD} parameters`, async function () {
      const { model, config } = await buildModel(join(REPO_ROOT, 'configs', 'fcos', c.file), { initWeights: false });
      expect(model).to.be.instanceOf(FCOS);
      expect((config as { model: { backbone: Record<string, unknown> } }).model.backbone).to.include({ depth: c.depth, style: 'caffe' });
      expect(model.numParameters()).to.equal(c.resnet + FPN + HEAD);
      expect((model as FCOS).outputShape().map((s) => s.stride)).to.deep.equal([8, 16, 32, 64, 128]);
    });
  }
});
