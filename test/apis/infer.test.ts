import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import { classNames, infer, listImages, type DetPrediction } from '../../src/apis/infer';
import { drawDetections, labelText } from '../../src/apis/draw-detections';
import { COCO_CLASSES } from '../../src/data/datasets/coco-classes';
import { createContainer } from '../../src/registry/container';
import { SilentLogger, type Progress } from '../../src/registry/services';
import { decodeRle, rleFromCoco } from '../../src/structures/mask';
import { BitmapMasks } from '../../src/structures/masks';
import { sharedFixtures } from '../fixture-root';

const fixture = (name: string) => join(sharedFixtures(), 'det', name);
const META_KEYS = ['img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'];

/** The fixture's model with a test pipeline resizing to 150×120 (keep_ratio), as the fixture's metas. */
function fixtureConfig(dir: string, name: string, extra: Record<string, unknown> = {}): string {
  const { model } = JSON.parse(readFileSync(join(fixture(name), 'config.json'), 'utf8'));
  const pipeline = [
    { type: 'LoadImageFromFile' },
    { type: 'Resize', scale: [150, 120], keep_ratio: true },
    { type: 'LoadAnnotations', with_bbox: true },
    { type: 'PackDetInputs', meta_keys: META_KEYS },
  ];
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ model, test_dataloader: { dataset: { type: 'CocoDataset', pipeline } }, ...extra }));
  return file;
}

/** A 150×120 RGB pattern, and the same picture at twice the size (each pixel repeated 2×2). */
async function writeImages(dir: string): Promise<{ small: string; large: string }> {
  const [w, h] = [150, 120];
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.set([(x * 7) % 256, (y * 5) % 256, ((x ^ y) * 3) % 256], (y * w + x) * 3);
  const small = join(dir, 'small.png');
  const large = join(dir, 'large.png');
  await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toFile(small);
  await sharp(px, { raw: { width: w, height: h, channels: 3 } }).resize(2 * w, 2 * h, { kernel: 'nearest' }).png().toFile(large);
  return { small, large };
}

const quiet = () => {
  const logger = new SilentLogger();
  const ticks: string[] = [];
  const progress: Progress = { start: (label, total) => ({ tick: (_n, status) => ticks.push(`${label} ${total} ${status}`), stop: () => {} }) };
  return { logger, ticks, container: createContainer({ logger, progress }) };
};

describe('apis/infer', function () {
  this.timeout(120_000);
  let dir: string;
  let images: { small: string; large: string };

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'hrdet-infer-'));
    images = await writeImages(dir);
  });

  describe('FCOS fixture checkpoint', function () {
    let preds: Map<string, DetPrediction>;
    let out: string;
    let ticks: string[];

    before(async function () {
      out = join(dir, 'fcos-out');
      const q = quiet();
      ticks = q.ticks;
      const folder = join(dir, 'folder');
      mkdirSync(folder);
      writeFileSync(join(folder, 'small.png'), readFileSync(images.small));
      writeFileSync(join(folder, 'notes.txt'), 'not an image');
      const r = await infer(fixtureConfig(dir, 'fcos_tiny'), [images.large, folder], {
        checkpoint: join(fixture('fcos_tiny'), 'state_dict.pth'),
        outDir: out,
        scoreThr: 0.2,
        batchSize: 2,
        container: q.container,
      });
      expect(r.images.map((i) => i.pred)).to.deep.equal([join(out, 'preds', 'large.json'), join(out, 'preds', 'small.json')]);
      expect(q.logger.messages.filter((m) => m.includes('random weights'))).to.have.length(0);
      preds = new Map(['small', 'large'].map((s) => [s, JSON.parse(readFileSync(join(out, 'preds', `${s}.json`), 'utf8'))]));
    });

    it("writes DetInferencer's JSON fields, every prediction, labels and scores in order", function () {
      const p = preds.get('small')!;
      expect(Object.keys(p)).to.deep.equal(['labels', 'scores', 'bboxes']);
      expect(p.labels).to.have.length(100); // max_per_img: the JSON is not cut at --score-thr
      expect(p.scores).to.have.length(100);
      expect(p.bboxes.every((b) => b.length === 4 && b[0] <= b[2] && b[1] <= b[3])).to.equal(true);
      for (let i = 1; i < p.scores.length; i++) expect(p.scores[i]).to.be.at.most(p.scores[i - 1]);
      expect(p.labels.every((l) => Number.isInteger(l) && l >= 0 && l < 80)).to.equal(true);
    });

    it('gives boxes in original-image coordinates: the image at twice the size has its boxes doubled', function () {
      const [s, l] = [preds.get('small')!, preds.get('large')!];
      // the large image resizes (bilinear, 0.5) back to exactly the small one: the same network input
      expect(l.labels).to.deep.equal(s.labels);
      for (let i = 0; i < s.scores.length; i++) {
        expect(l.scores[i]).to.be.closeTo(s.scores[i], 1e-5);
        for (let k = 0; k < 4; k++) expect(l.bboxes[i][k], `box ${i} coord ${k}`).to.be.closeTo(2 * s.bboxes[i][k], 1e-2);
      }
      expect(Math.max(...l.bboxes.map((b) => b[2]))).to.be.above(150); // really in the 300×240 frame
      expect(Math.max(...l.bboxes.map((b) => b[2]))).to.be.at.most(300);
    });

    it('draws a JPEG of the original size that differs from the input on a drawn box', async function () {
      const vis = join(out, 'vis', 'large.jpg');
      const meta = await sharp(vis).metadata();
      expect([meta.format, meta.width, meta.height]).to.deep.equal(['jpeg', 300, 240]);
      const p = preds.get('large')!;
      expect(p.scores[0]).to.be.at.least(0.2); // the top detection is drawn
      const [x1, y1, x2] = p.bboxes[0].map(Math.round);
      const drawn = await sharp(vis).raw().toBuffer();
      const input = await sharp(images.large).raw().toBuffer();
      // the box's top edge, between its corners (left of it the label may cover the picture too)
      let diff = 0;
      const y = Math.max(0, y1);
      for (let x = x1 + 2; x < x2 - 2; x++) for (let c = 0; c < 3; c++) diff += Math.abs(drawn[(y * 300 + x) * 3 + c] - input[(y * 300 + x) * 3 + c]);
      expect(diff / Math.max(1, x2 - x1 - 4) / 3).to.be.above(20);
    });

    it('reports progress per image when a folder is given, and skips non-image files', function () {
      expect(ticks).to.deep.equal(['infer 2 large.png', 'infer 2 small.png']);
    });
  });

  it('Mask R-CNN: masks as COCO RLE with string counts in the original frame, drawn translucent', async function () {
    const out = join(dir, 'mask-out');
    const q = quiet();
    await infer(fixtureConfig(dir, 'mask_rcnn_tiny'), [images.large], {
      checkpoint: join(fixture('mask_rcnn_tiny'), 'state_dict.pth'),
      outDir: out,
      scoreThr: 0,
      container: q.container,
    });
    const p: DetPrediction = JSON.parse(readFileSync(join(out, 'preds', 'large.json'), 'utf8'));
    expect(p.masks).to.have.length(p.labels.length);
    expect(p.labels.length).to.be.above(0);
    for (const m of p.masks!) {
      expect(m.size).to.deep.equal([240, 300]);
      expect(m.counts).to.be.a('string');
      expect(decodeRle(rleFromCoco(m)).length).to.equal(240 * 300);
    }
    expect((await sharp(join(out, 'vis', 'large.jpg')).metadata()).width).to.equal(300);
  });

  it('--engine onnx (Mask R-CNN, a batch of two): the exported graph gives the tfjs predictions and masks', async function () {
    const run = async (engine: 'tfjs' | 'onnx') => {
      const out = join(dir, `engine-${engine}`);
      const r = await infer(fixtureConfig(dir, 'mask_rcnn_tiny'), [images.small, images.large], {
        checkpoint: join(fixture('mask_rcnn_tiny'), 'state_dict.pth'),
        outDir: out,
        batchSize: 2,
        draw: false,
        engine,
        container: quiet().container,
      });
      return { engine: r.engine, preds: ['small', 'large'].map((n) => JSON.parse(readFileSync(join(out, 'preds', `${n}.json`), 'utf8')) as DetPrediction) };
    };
    const [tfjs, onnx] = [await run('tfjs'), await run('onnx')];
    expect(onnx.engine).to.match(/onnxruntime/);
    let [compared, differ, pixels] = [0, 0, 0];
    tfjs.preds.forEach((t, i) => {
      const o = onnx.preds[i];
      expect(o.labels).to.deep.equal(t.labels);
      o.bboxes.flat().forEach((v, k) => expect(Math.abs(v - t.bboxes.flat()[k])).to.be.at.most(1e-3 * Math.max(1, Math.abs(t.bboxes.flat()[k]))));
      o.scores.forEach((v, k) => expect(Math.abs(v - t.scores[k])).to.be.at.most(1e-4));
      o.masks!.forEach((m, k) => {
        const [a, b] = [decodeRle(rleFromCoco(m)), decodeRle(rleFromCoco(t.masks![k]))];
        for (let j = 0; j < b.length; j++) if (a[j] !== b[j]) differ++;
        pixels += b.length;
        compared++;
      });
    });
    expect(compared).to.be.above(0);
    // the engines' float32 kernels differ by ~1e-5: only pixels sitting on the threshold may flip
    expect(differ / pixels).to.be.below(1e-4);
  });

  it('--engine onnx refuses a model whose graph ends before the detections (FCOS) in one line', async function () {
    let err: Error | null = null;
    await infer(fixtureConfig(dir, 'fcos_tiny'), [images.small], { outDir: join(dir, 'fcos-onnx'), engine: 'onnx', container: quiet().container }).catch((e: Error) => (err = e));
    expect(err).to.not.equal(null);
    expect(err!.message).to.match(/does not end at the detections.*--engine tfjs/);
  });

  it('warns once that the weights are random without a checkpoint; --no-draw writes no vis/', async function () {
    const out = join(dir, 'random-out');
    const q = quiet();
    await infer(fixtureConfig(dir, 'fcos_tiny'), [images.small], { outDir: out, draw: false, container: q.container });
    expect(q.logger.messages.filter((m) => /random weights/.test(m))).to.have.length(1);
    expect(existsSync(join(out, 'preds', 'small.json'))).to.equal(true);
    expect(existsSync(join(out, 'vis'))).to.equal(false);
  });

  describe('errors: one line each, nothing written', function () {
    const fails = async (run: () => Promise<unknown>, pattern: RegExp, out: string) => {
      let err: Error | null = null;
      await run().catch((e: Error) => (err = e));
      expect(err, 'it failed').to.not.equal(null);
      expect(err!.message).to.match(pattern);
      expect(err!.message).to.not.include('\n');
      expect(existsSync(out), 'no output folder').to.equal(false);
    };

    it('a missing image, a corrupt image (even after a good one), a folder without images', async function () {
      const cfg = fixtureConfig(dir, 'fcos_tiny');
      const out = join(dir, 'err-out');
      const opts = { outDir: out, container: quiet().container };
      await fails(() => infer(cfg, [join(dir, 'nope.jpg')], opts), /nope\.jpg: no such image file or folder/, out);
      const bad = join(dir, 'corrupt.jpg');
      writeFileSync(bad, Buffer.from([0xff, 0xd8, 0xff, 0x00, 1, 2, 3]));
      await fails(() => infer(cfg, [images.small, bad], opts), /corrupt\.jpg: cannot decode image/, out);
      const empty = join(dir, 'empty');
      mkdirSync(empty);
      writeFileSync(join(empty, 'readme.md'), '#');
      await fails(() => infer(cfg, [empty], opts), /empty: the folder holds no images \(\.jpg/, out);
    });

    it("a model without 'predict' mode, a top-down pose model", async function () {
      const out = join(dir, 'err-out2');
      const opts = { outDir: out, container: quiet().container };
      await fails(() => infer('configs/hrnet/hrnetv2p-w18-hrfpn.json', [images.small], opts), /model\.type: FeaturePyramid has no 'predict' mode/, out);
      await fails(() => infer('configs/synthetic/td-hm_hrnet-w18-small_synthetic-256x192.json', [images.small], opts), /top-down pose model: it needs person boxes/, out);
    });

    it('two images with the same stem', function () {
      const other = join(dir, 'sub');
      mkdirSync(other, { recursive: true });
      writeFileSync(join(other, 'small.jpg'), 'x');
      expect(() => listImages([images.small, join(other, 'small.jpg')])).to.throw(/small\.jpg: has the same name stem as .*small\.png/);
      expect(listImages([images.small, images.small]).files).to.have.length(1);
    });
  });

  it('class names: metainfo.classes, else COCO for CocoDataset or 80 classes, else none', function () {
    expect(classNames({ test_dataloader: { dataset: { metainfo: { classes: ['cat', 'dog'] } } } })).to.deep.equal(['cat', 'dog']);
    expect(classNames({ model: { bbox_head: { num_classes: 80 } } })).to.equal(COCO_CLASSES);
    expect(classNames({ model: { roi_head: { bbox_head: [{ num_classes: 3 }] } } })).to.equal(undefined);
    expect(labelText(2, 0.8765, ['a', 'b', 'c'])).to.equal('c: 87.7');
    expect(labelText(5, 0.5)).to.equal('class 5: 50.0');
  });

  it('drawDetections: box edges in the class colour, masks tinted, the rest untouched, low scores skipped', async function () {
    const [w, h] = [64, 48];
    const img = { data: new Uint8Array(w * h * 3).fill(128), width: w, height: h, channels: 3, order: 'rgb' as const };
    const mask = new Uint8Array(2 * w * h);
    for (let y = 30; y < 40; y++) for (let x = 40; x < 60; x++) mask[y * w + x] = 1;
    const jpeg = await drawDetections(
      img,
      { bboxes: [[10, 20, 30, 40], [40, 5, 60, 15]], labels: [0, 1], scores: [0.9, 0.1], masks: new BitmapMasks(mask, 2, h, w) },
      { classes: ['a', 'b'], scoreThr: 0.3 },
    );
    const px = await sharp(jpeg).raw().toBuffer();
    const at = (x: number, y: number) => [0, 1, 2].map((c) => px[(y * w + x) * 3 + c]);
    const dist = (a: number[]) => Math.max(...a.map((v) => Math.abs(v - 128)));
    expect(dist(at(10, 30)), 'left edge of the drawn box').to.be.above(40);
    expect(dist(at(20, 30)), 'inside the box').to.be.below(12);
    expect(dist(at(50, 35)), 'inside the mask').to.be.above(40);
    expect(dist(at(50, 10)), 'the low-score box is not drawn').to.be.below(12);
    expect(dist(at(5, 45)), 'far from everything').to.be.below(12);
  });
});
