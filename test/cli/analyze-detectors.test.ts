import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { sharedFixtures } from '../fixture-root';
import { hrdet, hrdetAsync, pool, type CliResult } from './run-cli';

/**
 * `hrdet analyze` of the shipped detectors at the HRNet paper's Table 7 setting (3x800x1216,
 * 512 RoIs): exact parameters and MACs of mmdetection's models (80 classes), pinned, and
 * cross-checked against counts derived without hrdet (see the two tests below the table).
 */
const SHAPE = '3,800,1216';
const ROIS = 512;

/** [config, params, macs_dense, macs_per_roi] */
const EXACT: [string, number, number, number][] = [
  ['faster_rcnn/faster-rcnn_r50_fpn_1x_coco', 41_753_056, 182_424_791_808, 14_304_256],
  ['faster_rcnn/faster-rcnn_r101_fpn_1x_coco', 60_745_184, 254_396_427_008, 14_304_256],
  ['faster_rcnn/faster-rcnn_x101-64x4d_fpn_1x_coco', 99_651_296, 402_884_619_008, 14_304_256],
  ['cascade_rcnn/cascade-rcnn_r50_fpn_1x_coco', 69_394_766, 182_424_791_808, 41_942_016],
  ['cascade_rcnn/cascade-rcnn_r101_fpn_1x_coco', 88_386_894, 254_396_427_008, 41_942_016],
  ['cascade_rcnn/cascade-rcnn_x101-64x4d_fpn_1x_coco', 127_293_006, 402_884_619_008, 41_942_016],
  ['cascade_rcnn/cascade-mask-rcnn_r50_fpn_1x_coco', 77_324_606, 182_424_791_808, 1_631_517_696],
  ['mask_rcnn/mask-rcnn_r50_fpn_1x_coco', 44_396_336, 182_424_791_808, 544_162_816],
  ['mask_rcnn/mask-rcnn_r101_fpn_1x_coco', 63_388_464, 254_396_427_008, 544_162_816],
  ['fcos/fcos_r50-caffe_fpn_gn-head_1x_coco', 32_295_322, 189_799_005_952, 0],
  ['fcos/fcos_r101-caffe_fpn_gn-head-1x_coco', 51_287_450, 261_770_641_152, 0],
  ['hrnet/faster-rcnn_hrnetv2p-w18-1x_coco', 27_482_676, 163_669_272_864, 14_304_256],
  ['hrnet/faster-rcnn_hrnetv2p-w32-1x_coco', 47_279_712, 256_305_688_064, 14_304_256],
  ['hrnet/faster-rcnn_hrnetv2p-w40-1x_coco', 63_526_112, 330_970_763_264, 14_304_256],
  ['hrnet/faster-rcnn_hrnetv2p-w48-1x_coco', 83_360_736, 421_439_460_864, 14_304_256],
  ['hrnet/cascade-rcnn_hrnetv2p-w18-20e_coco', 55_124_386, 163_669_272_864, 41_942_016],
  ['hrnet/cascade-rcnn_hrnetv2p-w32-20e_coco', 74_921_422, 256_305_688_064, 41_942_016],
  ['hrnet/cascade-rcnn_hrnetv2p-w40-20e_coco', 91_167_822, 330_970_763_264, 41_942_016],
  ['hrnet/cascade-rcnn_hrnetv2p-w48-20e_coco', 111_002_446, 421_439_460_864, 41_942_016],
  ['hrnet/mask-rcnn_hrnetv2p-w18-1x_coco', 30_125_956, 163_669_272_864, 544_162_816],
  ['hrnet/mask-rcnn_hrnetv2p-w32-1x_coco', 49_922_992, 256_305_688_064, 544_162_816],
  ['hrnet/mask-rcnn_hrnetv2p-w40-1x_coco', 66_169_392, 330_970_763_264, 544_162_816],
  ['hrnet/cascade-mask-rcnn_hrnetv2p-w18-20e_coco', 63_054_226, 163_669_272_864, 1_631_517_696],
  ['hrnet/cascade-mask-rcnn_hrnetv2p-w32-20e_coco', 82_851_262, 256_305_688_064, 1_631_517_696],
  ['hrnet/cascade-mask-rcnn_hrnetv2p-w40-20e_coco', 99_097_662, 330_970_763_264, 1_631_517_696],
  ['hrnet/fcos_hrnetv2p-w18-gn-head_4xb4-1x_coco', 17_500_654, 179_332_495_392, 0],
  ['hrnet/fcos_hrnetv2p-w32-gn-head_4xb4-1x_coco', 37_297_690, 271_968_910_592, 0],
  ['hrnet/fcos_hrnetv2p-w40-gn-head_4xb4-1x_coco', 53_544_090, 346_633_985_792, 0],
];

interface AnalyzeJson {
  params: number;
  trainable_params: number;
  macs: number;
  macs_dense: number;
  macs_per_roi: number;
  rois: number | null;
  macs_by_op: Record<string, number>;
  partial: boolean;
  modules: { name: string; macs: number; params: number }[];
}

const file = (name: string) => path.join('configs', `${name}.json`);

/** Multiply-accumulates of ResNet-50/101 (Bottleneck) + FPN (256, P6 pooled) + RPN at H x W, written out from the architecture. */
function resnetFpnRpnMacs(depth: 50 | 101, style: 'pytorch' | 'caffe', h: number, w: number): number {
  const down = (x: number) => Math.floor((x - 1) / 2) + 1; // 3x3 s2 p1, 1x1 s2, maxpool 3 s2 p1, 7x7 s2 p3
  let [y, x] = [down(h), down(w)];
  let macs = 64 * 3 * 49 * y * x; // stem conv 7x7 s2
  [y, x] = [down(y), down(x)]; // max pool
  const blocks = depth === 50 ? [3, 4, 6, 3] : [3, 4, 23, 3];
  const sizes: [number, number][] = [];
  let cin = 64;
  blocks.forEach((n, i) => {
    const p = 64 * 2 ** i;
    const [oy, ox] = i === 0 ? [y, x] : [down(y), down(x)];
    // block 0: the stride sits on conv2 (pytorch) or conv1 (caffe); the downsample 1x1 carries it too
    macs += p * cin * (style === 'pytorch' ? y * x : oy * ox) + p * p * 9 * oy * ox + 4 * p * p * oy * ox + 4 * p * cin * oy * ox;
    macs += (n - 1) * (p * 4 * p + p * p * 9 + 4 * p * p) * oy * ox;
    cin = 4 * p;
    [y, x] = [oy, ox];
    sizes.push([oy, ox]);
  });
  sizes.forEach(([sy, sx], i) => (macs += 256 * 256 * 2 ** i * sy * sx + 256 * 256 * 9 * sy * sx)); // lateral + fpn conv
  const [p5y, p5x] = sizes[3];
  const levels = [...sizes, [down(p5y), down(p5x)]]; // P6: max pool k1 s2
  for (const [sy, sx] of levels) macs += (256 * 256 * 9 + 256 * 3 + 256 * 12) * sy * sx;
  return macs;
}

describe('hrdet analyze: shipped detectors at 3x800x1216, 512 RoIs', function () {
  this.timeout(600_000);
  const runs = new Map<string, CliResult>();
  const get = (name: string) => {
    const r = runs.get(name)!;
    expect(r.code, r.stderr).to.equal(0);
    return JSON.parse(r.stdout) as AnalyzeJson;
  };

  before(async () => {
    const caffe = ['faster_rcnn/faster-rcnn_r50_fpn_1x_coco', 'faster_rcnn/faster-rcnn_r101_fpn_1x_coco'].map((n) => async () => {
      runs.set(`${n}:caffe`, await hrdetAsync(['analyze', file(n), '--shape', SHAPE, '--rois', String(ROIS), '--json', '--depth', '1', '--cfg-options', 'model.backbone.style=caffe']));
    });
    const all = EXACT.map(([n]) => async () => {
      runs.set(n, await hrdetAsync(['analyze', file(n), '--shape', SHAPE, '--rois', String(ROIS), '--json', '--depth', '1']));
    });
    await pool([...all, ...caffe]);
  });

  for (const [name, params, dense, perRoi] of EXACT) {
    it(`${path.basename(name)}: params ${params}, macs ${dense} + ${ROIS} x ${perRoi}`, () => {
      const a = get(name);
      expect([a.params, a.macs_dense, a.macs_per_roi]).to.deep.equal([params, dense, perRoi]);
      expect(a.macs).to.equal(dense + ROIS * perRoi);
      expect(a.rois).to.equal(perRoi ? ROIS : null);
      expect(a.partial).to.equal(false);
      expect(Object.values(a.macs_by_op).reduce((s, v) => s + v, 0)).to.equal(a.macs);
    });
  }

  it('R-50 / R-101 Faster R-CNN: MACs written out from the architecture (pytorch and caffe style)', () => {
    // Shared2FCBBoxHead per RoI: 256*7*7 -> 1024 -> 1024, cls 81, reg 80*4
    const box = 12544 * 1024 + 1024 * 1024 + 1024 * 81 + 1024 * 320;
    for (const depth of [50, 101] as const) {
      const name = `faster_rcnn/faster-rcnn_r${depth}_fpn_1x_coco`;
      const a = get(name);
      expect(a.macs_per_roi).to.equal(box);
      expect(a.macs_dense, 'pytorch').to.equal(resnetFpnRpnMacs(depth, 'pytorch', 800, 1216));
      expect(get(`${name}:caffe`).macs_dense, 'caffe').to.equal(resnetFpnRpnMacs(depth, 'caffe', 800, 1216));
      expect(get(`${name}:caffe`).params, 'the style moves strides, not weights').to.equal(a.params);
    }
  });

  it("R-50 Faster / Mask R-CNN parameters: torchvision's published counts, converted to mmdetection's heads", () => {
    // torchvision fasterrcnn_resnet50_fpn: 41,755,286 parameters, with 91 classes and FrozenBatchNorm2d
    // (affine terms are buffers there: ResNet-50 has 53,120); its box predictor is Linear(1024, 91) +
    // Linear(1024, 364), mmdetection's Linear(1024, 81) + Linear(1024, 320): 54 x 1025 fewer
    const faster = 41_755_286 + 53_120 - 54 * 1025;
    expect(get('faster_rcnn/faster-rcnn_r50_fpn_1x_coco').params).to.equal(faster);
    // maskrcnn_resnet50_fpn: 44,401,393; its mask logits are Conv2d(256, 91, 1), mmdetection's Conv2d(256, 80, 1)
    expect(get('mask_rcnn/mask-rcnn_r50_fpn_1x_coco').params).to.equal(44_401_393 + 53_120 - 54 * 1025 - 11 * 257);
  });

  it("HRNetV2p-W32 Faster R-CNN parameters: mmdetection's HRNet + HRFPN state dict plus the heads by hand", () => {
    let stem = 0;
    for (const line of fs.readFileSync(path.join(sharedFixtures(), 'hrnet', 'manifests', 'mmdet_hrnetv2p_w32_hrfpn.txt'), 'utf8').split('\n')) {
      const m = /^(\S+)\s.*\[([\d,\s]*)\]\s*$/.exec(line);
      if (!m || /(running_mean|running_var|num_batches_tracked)$/.test(m[1])) continue;
      stem += m[2].split(',').filter((d) => d.trim()).reduce((a, d) => a * Number(d), 1);
    }
    // RPNHead: 3x3 256->256, 1x1 -> 3, 1x1 -> 12 (with biases); Shared2FCBBoxHead: 12544->1024->1024, 81, 320
    const rpn = 256 * 256 * 9 + 256 + 256 * 3 + 3 + 256 * 12 + 12;
    const box = 12544 * 1024 + 1024 + 1024 * 1024 + 1024 + 1024 * 81 + 81 + 1024 * 320 + 320;
    expect(get('hrnet/faster-rcnn_hrnetv2p-w32-1x_coco').params).to.equal(stem + rpn + box);
  });

  it('mask heads: 4 convs at 14x14, a 2x deconv and 80 logits per RoI, every cascade stage', () => {
    const mask = 4 * 256 * 256 * 9 * 196 + 256 * 256 * 4 * 196 + 80 * 256 * 784;
    const box = 12544 * 1024 + 1024 * 1024 + 1024 * 81 + 1024 * 320;
    const agnostic = 12544 * 1024 + 1024 * 1024 + 1024 * 81 + 1024 * 4;
    expect(get('mask_rcnn/mask-rcnn_r50_fpn_1x_coco').macs_per_roi).to.equal(box + mask);
    expect(get('cascade_rcnn/cascade-rcnn_r50_fpn_1x_coco').macs_per_roi).to.equal(3 * agnostic);
    expect(get('cascade_rcnn/cascade-mask-rcnn_r50_fpn_1x_coco').macs_per_roi).to.equal(3 * (agnostic + mask));
    expect(get('mask_rcnn/mask-rcnn_r50_fpn_1x_coco').macs_by_op.conv_transpose2d).to.equal(ROIS * 256 * 256 * 4 * 196);
  });
});

describe('hrdet analyze --compare', function () {
  this.timeout(120_000);
  const configs = [file('faster_rcnn/faster-rcnn_r50_fpn_1x_coco'), file('hrnet/faster-rcnn_hrnetv2p-w18-1x_coco'), file('hrnet/fcos_hrnetv2p-w18-gn-head_4xb4-1x_coco')];

  it('puts detectors side by side as a table, in the paper units too', () => {
    const r = hrdet(['analyze', '--compare', ...configs, '--shape', SHAPE, '--rois', '512']);
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).to.match(/^config\s+model\s+input\s+RoIs\s+params \(M\)\s+params \(2\^20\)\s+GMACs\s+GiMACs\s+dense GiMACs\s+MACs per RoI$/);
    expect(lines[1]).to.match(/faster-rcnn_r50_fpn_1x_coco\.json\s+FasterRCNN\s+3x800x1216\s+512\s+41\.753\s+39\.82\s+189\.749\s+176\.717\s+169\.896\s+14,304,256/);
    expect(lines[2]).to.match(/faster-rcnn_hrnetv2p-w18-1x_coco\.json\s+FasterRCNN\s+3x800x1216\s+512\s+27\.483\s+26\.21\s+170\.993\s+159\.250\s+152\.429\s+14,304,256/);
    // FCOS has no RoIs: blank RoI cells, its dense part is the whole model
    expect(lines[3]).to.match(/fcos_hrnetv2p-w18-gn-head_4xb4-1x_coco\.json\s+FCOS\s+3x800x1216\s+17\.501\s+16\.69\s+179\.332\s+167\.016\s+167\.016$/);
    expect(r.stdout).to.contain('macs = macs_dense');
  });

  it('--json gives one row per config with the split', () => {
    const r = hrdet(['analyze', '--compare', ...configs, '--shape', SHAPE, '--rois', '512', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const rows = JSON.parse(r.stdout).rows as (AnalyzeJson & { config: string })[];
    expect(rows.map((x) => x.config)).to.deep.equal(configs);
    expect(rows[0]).to.include({ params: 41_753_056, macs_dense: 182_424_791_808, macs_per_roi: 14_304_256, rois: 512 });
    expect(rows[2]).to.include({ macs_per_roi: 0, rois: null });
  });

  it('one-line errors: several configs without --compare, a bad --rois', () => {
    for (const [args, pattern] of [
      [['analyze', ...configs.slice(0, 2)], /Give --compare/],
      [['analyze', configs[0], '--rois', '-3'], /--rois.*non-negative integer/],
    ] as [string[], RegExp][]) {
      const r = hrdet(args);
      expect(r.code).to.equal(2);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.match(pattern);
    }
  });
});
