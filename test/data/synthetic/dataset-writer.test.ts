import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { makeSyntheticDataset, SYNTHETIC_TASKS, type SyntheticTaskName } from '../../../src/apis/make-dataset';
import { UserError } from '../../../src/core/errors';
import { readImage } from '../../../src/data/image-io/decode-image';
import { MANIFEST } from '../../../src/data/synthetic/dataset-writer';
import type { Progress } from '../../../src/registry/services';

/** Every file under `dir` (relative path → bytes). */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

class CountingProgress implements Progress {
  ticks = new Map<string, number>();
  start(label: string, total: number) {
    this.ticks.set(label, 0);
    return { tick: (n = 1) => void this.ticks.set(label, this.ticks.get(label)! + n), stop: () => expect(this.ticks.get(label)).to.equal(total) };
  }
}

describe('data: writing synthetic datasets', () => {
  let root: string;
  before(() => (root = mkdtempSync(join(tmpdir(), 'hrdet-syn-'))));
  after(() => rmSync(root, { recursive: true, force: true }));
  const make = (task: SyntheticTaskName, out: string, extra: { train?: number; val?: number; seed?: number } = {}) =>
    makeSyntheticDataset({ task, out: join(root, out), train: 4, val: 2, size: [48, 64], progress: new CountingProgress(), ...extra });

  for (const task of SYNTHETIC_TASKS) {
    it(`${task}: the same seed gives byte-identical files; another seed different images`, async () => {
      await make(task, `${task}-a`);
      await make(task, `${task}-b`);
      await make(task, `${task}-c`, { seed: 1 });
      const [a, b, c] = [tree(join(root, `${task}-a`)), tree(join(root, `${task}-b`)), tree(join(root, `${task}-c`))];
      expect([...a.keys()].sort()).to.deep.equal([...b.keys()].sort());
      for (const [k, v] of a) expect(v.equals(b.get(k)!), k).to.equal(true);
      const images = [...a.keys()].filter((k) => k.endsWith('.jpg'));
      expect(images).to.have.length(6);
      expect(images.some((k) => !a.get(k)!.equals(c.get(k)!))).to.equal(true);
      expect([...a.keys()].some((k) => k.split('/').pop()!.startsWith('.')), 'temporary files left').to.equal(false);
      for (const k of images) expect(await readImage(join(root, `${task}-a`, k))).to.include({ height: 48, width: 64, channels: 3 });
    });
  }

  it('writes the layouts the mm* datasets read', () => {
    const files = (task: string) => [...tree(join(root, `${task}-a`)).keys()].sort();
    expect(files('det')).to.include.members(['annotations/instances_train.json', 'annotations/instances_val.json', 'train/000000.jpg', 'val/000001.jpg', MANIFEST]);
    expect(files('pose')).to.include.members(['annotations/person_keypoints_train.json', 'annotations/person_keypoints_val.json', 'train/000003.jpg']);
    expect(files('seg')).to.include.members(['img_dir/train/000000.jpg', 'ann_dir/train/000000.png', 'img_dir/val/000001.jpg', 'ann_dir/val/000001.png', 'classes.json']);
    expect(files('cls')).to.include.members(['train/circle/000000.jpg', 'train/ellipse/000001.jpg', 'val/circle/000000.jpg', 'meta/train.txt', 'meta/val.txt', 'meta/classes.txt']);
    const coco = JSON.parse(readFileSync(join(root, 'det-a', 'annotations', 'instances_train.json'), 'utf8'));
    expect(coco.images.map((i: { file_name: string }) => i.file_name)).to.deep.equal(['000000.jpg', '000001.jpg', '000002.jpg', '000003.jpg']);
    expect(readFileSync(join(root, 'cls-a', 'meta', 'val.txt'), 'utf8')).to.equal('circle/000000.jpg 0\nellipse/000001.jpg 1\n');
  });

  it('leaves a complete identical set alone, and replaces a different one without leaving stale files', async () => {
    const dir = join(root, 'rerun');
    const first = await make('det', 'rerun', { train: 5 });
    expect(first.upToDate).to.equal(false);
    const stamp = statSync(join(dir, 'annotations', 'instances_train.json')).mtimeMs;
    const again = await make('det', 'rerun', { train: 5 });
    expect(again.upToDate).to.equal(true);
    expect(statSync(join(dir, 'annotations', 'instances_train.json')).mtimeMs).to.equal(stamp);
    await make('det', 'rerun', { train: 3 });
    expect(readdirSync(join(dir, 'train')).sort()).to.deep.equal(['000000.jpg', '000001.jpg', '000002.jpg']);
    expect(JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'))).to.include({ complete: true, train: 3, val: 2, seed: 0 });
  });

  it('regenerates a set an interrupted run left incomplete', async () => {
    const dir = join(root, 'interrupted');
    mkdirSync(join(dir, 'train'), { recursive: true });
    writeFileSync(join(dir, MANIFEST), JSON.stringify({ task: 'det', complete: false }));
    writeFileSync(join(dir, 'train', '000009.jpg'), 'half');
    const r = await make('det', 'interrupted');
    expect(r.upToDate).to.equal(false);
    expect(readdirSync(join(dir, 'train'))).to.not.include('000009.jpg');
    expect(tree(dir).size).to.equal(tree(join(root, 'det-a')).size);
  });

  it('refuses a folder that holds something else, and bad options', async () => {
    const dir = join(root, 'foreign');
    mkdirSync(dir);
    writeFileSync(join(dir, 'thesis.tex'), '...');
    const failure = (p: Promise<unknown>) => p.then(() => expect.fail('no error'), (e: Error) => e);
    const e = await failure(make('det', 'foreign'));
    expect(e).to.be.instanceOf(UserError);
    expect(e.message).to.equal(`${dir} is not empty and holds no ${MANIFEST}: it is not a synthetic set hrdet wrote; choose another --out or empty it`);
    expect((await failure(makeSyntheticDataset({ task: 'seg', out: join(root, 'x'), size: [8, 8] }))).message).to.equal('size must be two integers from 16 to 4096 (HxW), got 8x8');
  });
});
