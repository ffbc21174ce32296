import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import { sharedFixtures } from '../fixture-root';
import { hrdetAsync, tempFiles } from './run-cli';

describe('cli: hrdet infer', function () {
  this.timeout(120_000);
  const fcos = join(sharedFixtures(), 'det', 'fcos_tiny');
  let dir: string;
  let config: string;

  before(async function () {
    const { model } = JSON.parse(readFileSync(join(fcos, 'config.json'), 'utf8'));
    const pipeline = [
      { type: 'LoadImageFromFile' },
      { type: 'Resize', scale: [150, 120], keep_ratio: true },
      { type: 'PackDetInputs', meta_keys: ['img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'] },
    ];
    dir = tempFiles({ 'fcos.json': { model, test_dataloader: { dataset: { pipeline, metainfo: { classes: Array.from({ length: 80 }, (_, i) => `thing${i}`) } } } } });
    config = join(dir, 'fcos.json');
    const px = Buffer.alloc(300 * 240 * 3);
    for (let i = 0; i < px.length; i++) px[i] = (i * 31) % 251;
    await sharp(px, { raw: { width: 300, height: 240, channels: 3 } }).jpeg().toFile(join(dir, 'photo.jpg'));
  });

  it('writes preds/<stem>.json and vis/<stem>.jpg and prints one line per image', async function () {
    const out = join(dir, 'out');
    const r = await hrdetAsync(['infer', config, join(dir, 'photo.jpg'), '--checkpoint', join(fcos, 'state_dict.pth'), '--out-dir', out, '--score-thr', '0.1']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/photo\.jpg: 100 detections \(\d+ >= 0\.1\) -> .*preds\/photo\.json, .*vis\/photo\.jpg/);
    expect(r.stderr).to.match(/tfjs backend: /);
    expect(r.stderr).to.not.match(/random weights/);
    const p = JSON.parse(readFileSync(join(out, 'preds', 'photo.json'), 'utf8'));
    expect(Object.keys(p)).to.deep.equal(['labels', 'scores', 'bboxes']);
    expect((await sharp(join(out, 'vis', 'photo.jpg')).metadata()).width).to.equal(300);
  });

  it('without --checkpoint warns in one line; --no-draw writes JSON only', async function () {
    const out = join(dir, 'out2');
    const r = await hrdetAsync(['infer', config, join(dir, 'photo.jpg'), '--out-dir', out, '--no-draw']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr.split('\n').filter((l) => /random weights/.test(l))).to.have.length(1);
    expect(existsSync(join(out, 'preds', 'photo.json'))).to.equal(true);
    expect(existsSync(join(out, 'vis'))).to.equal(false);
  });

  it('user errors exit 2 with one line and write nothing', async function () {
    const out = join(dir, 'out3');
    const cases: [string[], RegExp][] = [
      [[config, join(dir, 'missing.png')], /missing\.png: no such image file or folder/],
      [['configs/hrnet/hrnetv2p-w18-hrfpn.json', join(dir, 'photo.jpg')], /has no 'predict' mode/],
      [[config, join(dir, 'photo.jpg'), '--batch-size', '0'], /--batch-size expects a positive integer, got '0'/],
    ];
    for (const [args, pattern] of cases) {
      const r = await hrdetAsync(['infer', ...args, '--out-dir', out]);
      expect(r.code, r.stderr).to.equal(2);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('hrdet: error:'));
      expect(errors).to.have.length(1);
      expect(errors[0]).to.match(pattern);
      expect(r.stderr).to.not.match(/\n\s+at /);
    }
    expect(existsSync(out)).to.equal(false);
  });
});
