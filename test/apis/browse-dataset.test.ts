import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { browseDataset } from '../../src/apis/browse-dataset';
import { paletteColor } from '../../src/apis/draw-detections';
import { makeSyntheticDataset } from '../../src/apis/make-dataset';
import { readImage } from '../../src/data/image-io/decode-image';
import { readLabelMap } from '../../src/data/image-io/label-map';
import type { Progress } from '../../src/registry/services';
import { hrdet } from '../cli/run-cli';

const quiet: Progress = { start: () => ({ tick: () => undefined, stop: () => undefined }) };
const ROOT = resolve(__dirname, '../../..');

async function pixels(file: string): Promise<{ at: (x: number, y: number) => number[]; width: number; height: number }> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, at: (x, y) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)] };
}
const near = (a: number[], b: readonly number[], tol: number) => a.every((v, i) => Math.abs(v - b[i]) <= tol);

describe('browse-dataset: what the pipeline hands the model, drawn into PNGs', function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hrdet-browse-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('det: one PNG per item at the packed size, each box outlined in its class colour over the masks', async () => {
    const data = join(dir, 'det');
    await makeSyntheticDataset({ task: 'det', out: data, train: 3, val: 0, seed: 2, size: [60, 80], progress: quiet });
    const classes = ['circle', 'ellipse', 'rectangle', 'triangle', 'star', 'cross'];
    const cfg = join(dir, 'det.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        train_dataloader: {
          dataset: {
            type: 'CocoDataset',
            data_root: data,
            ann_file: 'annotations/instances_train.json',
            data_prefix: { img: 'train/' },
            metainfo: { classes },
            pipeline: [{ type: "LoadImageFromFile" }, { type: "LoadAnnotations", with_bbox: true, with_mask: true }, { type: "Resize", scale: [160, 120], keep_ratio: true }, { type: "RandomFlip", prob: 0 }, { type: "PackDetInputs" }],
          },
        },
      }),
    );
    const out = join(dir, 'det-out');
    const r = await browseDataset(cfg, { outDir: out, num: 2 });
    expect(r.total).to.equal(3);
    expect(readdirSync(out).sort()).to.deep.equal(['000000.png', '000001.png']);
    const gt = JSON.parse(readFileSync(join(data, 'annotations/instances_train.json'), 'utf8'));
    const png = await pixels(join(out, '000000.png'));
    expect([png.width, png.height]).to.deep.equal([160, 120]); // 80x60 doubled
    // the middle of each box's left edge (boxes scaled by 2) is drawn in its class colour
    const anns = gt.annotations.filter((a: any) => a.image_id === gt.images[0].id && !a.iscrowd && a.bbox[3] >= 4 && a.bbox[0] >= 1);
    expect(anns.length).to.be.greaterThan(0);
    let hits = 0;
    for (const a of anns) {
      const label = classes.indexOf(gt.categories.find((c: any) => c.id === a.category_id).name);
      const [x, y] = [Math.round(a.bbox[0] * 2), Math.round((a.bbox[1] + a.bbox[3] / 2) * 2)];
      if (near(png.at(x, y), paletteColor(label), 40)) hits++;
    }
    // boxes may overlap one another's edges; most edges show their own colour
    expect(hits).to.be.at.least(Math.ceil(anns.length / 2));
    // the command line: the same files, and a missing --out-dir is one line
    const cli = hrdet(['browse-dataset', cfg, '--out-dir', join(dir, 'det-cli'), '--num', '1']);
    expect(cli.code, cli.stderr).to.equal(0);
    expect(cli.stdout.trim()).to.equal(`wrote 1 of 3 items to ${join(dir, 'det-cli')}`);
    expect(readFileSync(join(dir, 'det-cli', '000000.png')).equals(readFileSync(join(out, '000000.png')))).to.equal(true);
    const bad = hrdet(['browse-dataset', cfg]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/--out-dir/);
  });

  it('pose: the config\'s 128x96 crop with its keypoints drawn in the crop frame', async () => {
    const data = join(dir, 'pose');
    await makeSyntheticDataset({ task: 'pose', out: data, train: 0, val: 2, seed: 4, size: [96, 96], progress: quiet });
    const out = join(dir, 'pose-out');
    const r = await browseDataset(join(ROOT, 'configs/synthetic/td-hm_hrnet-w18-small_synthetic-256x192.json'), { outDir: out, phase: 'val', num: 3, cfgOptions: [`val_dataloader.dataset.data_root=${data}`] });
    expect(r.files).to.have.length(3);
    const png = await pixels(r.files[0]);
    expect([png.width, png.height]).to.deep.equal([96, 128]);
    // some keypoint colour appears: count pixels matching the first keypoints' colours
    const colours = [0, 1, 2, 5, 6, 11, 12].map(paletteColor);
    let found = 0;
    for (let y = 0; y < png.height; y += 1) for (let x = 0; x < png.width; x += 1) if (colours.some((c) => near(png.at(x, y), c, 10))) found++;
    expect(found).to.be.greaterThan(10);
  });

  it('seg: the label map over the image at half opacity in the dataset palette', async () => {
    const data = join(dir, 'seg');
    await makeSyntheticDataset({ task: 'seg', out: data, train: 0, val: 1, seed: 6, size: [64, 64], progress: quiet });
    const out = join(dir, 'seg-out');
    const r = await browseDataset(join(ROOT, 'configs/synthetic/fcn_hrnet-w18-small_synthetic-seg.json'), { outDir: out, phase: 'val', cfgOptions: [`val_dataloader.dataset.data_root=${data}`] });
    expect(r.files).to.have.length(1);
    const png = await pixels(r.files[0]);
    expect([png.width, png.height]).to.deep.equal([128, 128]);
    const name = readdirSync(join(data, 'ann_dir/val'))[0];
    const labels = await readLabelMap(join(data, 'ann_dir/val', name));
    const image = await readImage(join(data, 'img_dir/val', name.replace(/\.png$/, '.jpg')), { channelOrder: 'rgb' });
    const palette = [[0, 0, 0], [220, 20, 60], [0, 130, 200], [60, 180, 75], [255, 225, 25], [145, 30, 180], [245, 130, 48]];
    // pixels in the middle of 3x3 blocks of one label: 0.5 image + 0.5 palette (the config resizes 64 to 128: 2x)
    let checked = 0;
    for (let y = 2; y < 62; y += 6) {
      for (let x = 2; x < 62; x += 6) {
        const l = labels.data[y * 64 + x];
        const block = [-1, 0, 1].every((dy) => [-1, 0, 1].every((dx) => labels.data[(y + dy) * 64 + x + dx] === l));
        if (!block || l === 255) continue;
        const want = [0, 1, 2].map((k) => 0.5 * image.data[(y * 64 + x) * 3 + k] + 0.5 * palette[l][k]);
        expect(near(png.at(x * 2 + 1, y * 2 + 1), want, 24), `pixel ${x},${y} label ${l}: ${png.at(x * 2 + 1, y * 2 + 1)} vs ${want}`).to.equal(true);
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(20);
  });
});
