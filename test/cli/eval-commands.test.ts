import { expect } from 'chai';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeImage } from '../../src/data/image-io/encode-image';
import { evalSegFolders } from '../../src/apis/eval-seg';
import { REPO_ROOT, sharedFixtures } from '../fixture-root';
import { hrdet, tempFiles } from './run-cli';

describe('hrdet eval-coco', () => {
  const F = () => join(sharedFixtures(), 'coco_eval');

  it('prints the summary table as pycocotools does, and --json with stats and stats_named', () => {
    const table = hrdet(['eval-coco', '--gt', join(F(), 'gt.json'), '--results', join(F(), 'dt_segm.json'), '--iou-type', 'segm']);
    expect(table.code).to.equal(0);
    expect(table.stdout).to.equal(readFileSync(join(REPO_ROOT, 'test/fixtures/evaluation/summary_segm.txt'), 'utf8'));
    const json = hrdet(['eval-coco', '--gt', join(F(), 'gt.json'), '--results', join(F(), 'dt_keypoints.json'), '--iou-type', 'keypoints', '--json']);
    const out = JSON.parse(json.stdout);
    const expected = JSON.parse(readFileSync(join(F(), 'expected.json'), 'utf8'));
    expect(out.stats).to.deep.equal(expected.keypoints.stats);
    expect(out.stats_named).to.deep.equal(expected.keypoints.stats_named);
  });

  it('results naming an unknown image: one line, exit 2', () => {
    const dir = tempFiles({ 'r.json': [{ image_id: 123456, category_id: 1, bbox: [0, 0, 5, 5], score: 0.5 }] });
    const r = hrdet(['eval-coco', '--gt', join(F(), 'gt.json'), '--results', join(dir, 'r.json'), '--iou-type', 'bbox']);
    expect(r.code).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/r\.json: record 0\.image_id: unknown image id 123456/);
  });
});

describe('hrdet eval-seg', () => {
  const gray = (data: number[], width: number) => ({ data: Uint8Array.from(data), height: data.length / width, width, channels: 1, order: 'gray' as const });

  async function folders(): Promise<string> {
    const dir = tempFiles({});
    for (const d of ['gt', 'pred']) mkdirSync(join(dir, d));
    await writeImage(join(dir, 'gt', 'a.png'), gray([0, 1, 1, 1, 255, 255], 3));
    await writeImage(join(dir, 'pred', 'a.png'), gray([0, 0, 1, 1, 2, 0], 3));
    await writeImage(join(dir, 'gt', 'b.png'), gray([2, 0], 2));
    await writeImage(join(dir, 'pred', 'b.png'), gray([2, 2], 2));
    return dir;
  }

  it('pairs label maps by name and gives fractions, NaN for an absent class', async () => {
    const dir = await folders();
    const r = await evalSegFolders({ gt: join(dir, 'gt'), pred: join(dir, 'pred'), numClasses: 4 });
    expect(r.aAcc).to.equal(4 / 6);
    expect(r.per_class.map((c) => c.IoU).slice(0, 3)).to.deep.equal([1 / 3, 2 / 3, 1 / 2]);
    expect(r.per_class[3].IoU).to.be.NaN;
    expect(r.mIoU).to.equal((1 / 3 + 2 / 3 + 1 / 2) / 3);
    // reduce_zero_label: GT 0 ignored, 1 -> 0, 2 -> 1
    const z = await evalSegFolders({ gt: join(dir, 'gt'), pred: join(dir, 'pred'), numClasses: 4, reduceZeroLabel: true });
    expect(z.aAcc).to.equal(1 / 4);
  });

  it('--json through the CLI; a missing prediction is one line, exit 2', async () => {
    const dir = await folders();
    const ok = hrdet(['eval-seg', '--gt', join(dir, 'gt'), '--pred', join(dir, 'pred'), '--num-classes', '4', '--json']);
    expect(ok.code).to.equal(0);
    const out = JSON.parse(ok.stdout);
    expect(out.aAcc).to.equal(4 / 6);
    expect(out.per_class[3].IoU).to.equal(null);
    const bad = hrdet(['eval-seg', '--gt', join(dir, 'gt'), '--pred', join(dir, 'gt', 'none'), '--num-classes', '4']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/cannot list this folder/);
  });
});
