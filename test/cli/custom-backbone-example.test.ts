/**
 * examples/custom-backbone: a backbone registered from outside src/ builds under shipped
 * FeaturePyramid + FPN and under FasterRCNN through its configs' custom_imports, and runs
 * through the CLI.
 */
import { expect } from 'chai';
import sharp from 'sharp';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { hostTensor } from '../../src/core/host-tensor';
import { Random } from '../../src/core/random';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors';
import { hrdet, tempFiles, ROOT } from './run-cli';

const CONFIG = join(ROOT, 'examples', 'custom-backbone', 'config.json');

describe('examples/custom-backbone through the CLI', function () {
  this.timeout(120000);

  it('lists the plugin backbone under its scope', () => {
    const r = hrdet(['list', 'backbones', '--plugin', join(ROOT, 'examples', 'custom-backbone', 'tiny-convnet.ts')]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/tiny-convnet\.TinyConvNet/);
  });

  it('analyses the config (channels taken from the plugin backbone)', () => {
    const r = hrdet(['analyze', CONFIG, '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const a = JSON.parse(r.stdout);
    expect(JSON.stringify(a)).to.contain('TinyConvNet');
  });

  it('runs a forward with every pyramid level at its stride', async () => {
    const dir = tempFiles({});
    try {
      const input = join(dir, 'in.safetensors');
      const output = join(dir, 'out.safetensors');
      await writeSafetensors(input, { input: hostTensor('float32', [2, 3, 128, 96], new Random(5).normalArray(2 * 3 * 128 * 96)) });
      const r = hrdet(['forward', CONFIG, '--input', input, '--output', output, '--backend', 'wasm']);
      expect(r.code, r.stderr).to.equal(0);
      const outs = (await readSafetensors(output)).tensors;
      const strides = [4, 8, 16, 32];
      strides.forEach((s, i) => expect([...outs.get(`backbone.${i}`)!.shape]).to.deep.equal([2, [16, 32, 64, 128][i], 128 / s, 96 / s]));
      expect([...outs.get('neck.0')!.shape]).to.deep.equal([2, 32, 32, 24]);
      expect([...outs.get('neck.4')!.shape]).to.deep.equal([2, 32, 2, 2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const FASTER = join(ROOT, 'examples', 'custom-backbone', 'faster-rcnn.json');

describe('examples/custom-backbone: Faster R-CNN on the plugin backbone', function () {
  this.timeout(120000);

  it('analyses it: the FPN, RPN and RoI extractor take their channels and strides from the backbone', () => {
    const r = hrdet(['analyze', FASTER, '--json', '--depth', '3', '--rois', '10']);
    expect(r.code, r.stderr).to.equal(0);
    const a = JSON.parse(r.stdout);
    expect(a.model).to.equal('FasterRCNN');
    const row = (name: string) => a.modules.find((m: { name: string }) => m.name === name);
    expect(row('backbone').type).to.equal('TinyConvNet');
    // lateral 1x1 convs 16/32/64/128 -> 32 at 32², 16², 8², 4² (from 3x128x128 at strides 4..32)
    expect(row('neck.lateral_convs').macs).to.equal(32 * (16 * 1024 + 32 * 256 + 64 * 64 + 128 * 16));
    // RPN on five levels (the fifth a stride-2 pool): 32² + 16² + 8² + 4² + 2² = 1364 positions
    expect(row('rpn_head').macs).to.equal(1364 * (32 * 32 * 9 + 32 * 3 + 32 * 12));
    // Shared2FCBBoxHead on 32-channel 7x7 RoI features, fc 64
    expect(a.macs_per_roi).to.equal(32 * 49 * 64 + 64 * 64 + 64 * 81 + 64 * 320);
    expect(a.macs).to.equal(a.macs_dense + 10 * a.macs_per_roi);
  });

  it('runs forward with every stage named, and infer on an image', async () => {
    const dir = tempFiles({});
    try {
      const input = join(dir, 'in.safetensors');
      const output = join(dir, 'out.safetensors');
      await writeSafetensors(input, { input: hostTensor('float32', [1, 3, 128, 96], new Random(3).normalArray(3 * 128 * 96)) });
      const f = hrdet(['forward', FASTER, '--input', input, '--output', output, '--backend', 'wasm']);
      expect(f.code, f.stderr).to.equal(0);
      const outs = (await readSafetensors(output)).tensors;
      expect([...outs.get('neck.4')!.shape]).to.deep.equal([1, 32, 2, 2]);
      expect([...outs.get('rpn_reg.0')!.shape]).to.deep.equal([1, 12, 32, 24]);
      expect(outs.get('rcnn_cls_score')!.shape[1]).to.equal(81);
      expect(outs.get('dets')!.shape[1]).to.equal(5);

      const image = join(dir, 'street.png');
      const px = Buffer.alloc(96 * 80 * 3);
      for (let i = 0; i < px.length; i++) px[i] = (i * 37) % 253;
      await sharp(px, { raw: { width: 96, height: 80, channels: 3 } }).png().toFile(image);
      const r = hrdet(['infer', FASTER, image, '--out-dir', join(dir, 'out'), '--backend', 'wasm']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/street\.png: \d+ detections/);
      const preds = JSON.parse(readFileSync(join(dir, 'out', 'preds', 'street.json'), 'utf8'));
      expect(Object.keys(preds)).to.deep.equal(['labels', 'scores', 'bboxes']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
