import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readImage } from '../../src/data/image-io/decode-image';
import { CocoGroundTruth } from '../../src/evaluation/coco';
import { hrdet, hrdetAsync, pool, ROOT, tempFiles } from './run-cli';

describe('hrdet make-dataset synthetic', function () {
  this.timeout(60_000);
  const dir = tempFiles({});
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a tiny COCO detection set, then leaves it alone on a second run', () => {
    const args = ['make-dataset', 'synthetic', '--task', 'det', '--out', 'det', '--train', '3', '--val', '2', '--size', '64x80', '--seed', '3'];
    const r = hrdet(args, { cwd: dir });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('det: wrote det set, 3 train + 2 val images of 64x80, seed 3 (annotations/instances_train.json, annotations/instances_val.json)\n');
    expect(r.stderr).to.contain('det train: 3/3');
    for (const split of ['train', 'val']) {
      const gt = new CocoGroundTruth(JSON.parse(readFileSync(join(dir, 'det', 'annotations', `instances_${split}.json`), 'utf8')), split);
      expect(gt.imageIds).to.have.length(split === 'train' ? 3 : 2);
      expect(gt.annotations.length).to.be.greaterThan(0);
      for (const img of gt.images.values()) expect([img.height, img.width]).to.deep.equal([64, 80]);
    }
    const again = hrdet(args, { cwd: dir });
    expect(again.code).to.equal(0);
    expect(again.stdout).to.equal('det: already holds this det set, 3 train + 2 val images of 64x80, seed 3; nothing written\n');
  });

  it('writes to data/synthetic-<task> by default', () => {
    const r = hrdet(['make-dataset', 'synthetic', '--task', 'cls', '--train', '6', '--val', '0', '--size', '32x32'], { cwd: dir });
    expect(r.code, r.stderr).to.equal(0);
    expect(readFileSync(join(dir, 'data', 'synthetic-cls', 'meta', 'train.txt'), 'utf8').split('\n')).to.have.length(7);
  });

  it('writes label maps that hrdet eval-seg reads (a set scored against itself: every class IoU 1)', () => {
    const made = hrdet(['make-dataset', 'synthetic', '--task', 'seg', '--out', 'seg', '--train', '0', '--val', '8', '--size', '96x96'], { cwd: dir });
    expect(made.code, made.stderr).to.equal(0);
    const r = hrdet(['eval-seg', '--gt', 'seg/ann_dir/val', '--pred', 'seg/ann_dir/val', '--num-classes', '7', '--json'], { cwd: dir });
    expect(r.code, r.stderr).to.equal(0);
    const m = JSON.parse(r.stdout);
    expect([m.aAcc, m.mIoU]).to.deep.equal([1, 1]);
  });

  it('a killed run leaves only complete files, marked incomplete, and the next run replaces them', async () => {
    const out = join(dir, 'killed');
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'hrdet.js'), 'make-dataset', 'synthetic', '--task', 'det', '--out', out, '--train', '2000', '--val', '10'], { stdio: 'ignore' });
    const started = Date.now();
    while (!(existsSync(join(out, 'train')) && readdirSync(join(out, 'train')).length >= 20) && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    expect(JSON.parse(readFileSync(join(out, 'synthetic.json'), 'utf8')).complete).to.equal(false);
    expect(existsSync(join(out, 'annotations', 'instances_train.json'))).to.equal(false);
    const images = readdirSync(join(out, 'train')).filter((f) => !f.startsWith('.'));
    expect(images.length).to.be.greaterThan(10);
    for (const f of images) expect(await readImage(join(out, 'train', f))).to.include({ height: 256, width: 256 });
    const r = hrdet(['make-dataset', 'synthetic', '--task', 'det', '--out', out, '--train', '4', '--val', '1']);
    expect(r.code, r.stderr).to.equal(0);
    expect(readdirSync(join(out, 'train')).sort()).to.deep.equal(['000000.jpg', '000001.jpg', '000002.jpg', '000003.jpg']);
    expect(JSON.parse(readFileSync(join(out, 'synthetic.json'), 'utf8')).complete).to.equal(true);
  });

  it('reports bad options in one line with exit code 2', async () => {
    const cases: [string[], string][] = [
      [['--task', 'depth'], "option '--task <task>' argument 'depth' is invalid. Allowed choices are det, pose, seg, cls."],
      [['--task', 'det', '--size', '256'], "option '--size <HxW>' argument '256' is invalid. Expected HxW, e.g. 256x256."],
      [['--task', 'det', '--size', '8x8'], 'size must be two integers from 16 to 4096 (HxW), got 8x8'],
      [['--task', 'seg', '--train', '-3'], "option '--train <N>' argument '-3' is invalid. Expected a whole number of images."],
      [[], "required option '--task <task>' not specified"],
    ];
    const runs = await pool(cases.map(([args]) => () => hrdetAsync(['make-dataset', 'synthetic', '--out', 'never', ...args], { cwd: dir })));
    cases.forEach(([args, message], i) => {
      expect(runs[i].stderr, args.join(' ')).to.equal(`hrdet: error: ${message}\n`);
      expect(runs[i].code).to.equal(2);
    });
    expect(existsSync(join(dir, 'never'))).to.equal(false);
  });
});
