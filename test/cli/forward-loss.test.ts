/**
 * `hrdet forward --mode loss` end to end on the det_train fixtures faster_rcnn_tiny,
 * mask_rcnn_tiny (GT masks named in gt.json, read from the --input file) and
 * cascade_rcnn_tiny (mmdetection 3.3.0): the losses under their mmdetection names (per-level
 * RPN losses summed and as `.l`, cascade stages as `s{k}.`), total_loss and the requested
 * gradients; bad ground-truth files fail in one line naming the file and the field.
 */
import { expect } from 'chai';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../src/io/safetensors';
import { sharedFixtures } from '../fixture-root';
import { expectGradsNear, expectLossesNear } from '../models/detectors/det-train-helpers';
import { hrdet, tempFiles } from './run-cli';

const fixtureDir = (name: string) => join(sharedFixtures(), 'det_train', name);
const DIR = fixtureDir('faster_rcnn_tiny');

/** The fixture's gt_instances as gt.json: `masks` names the tensor `gt_masks.i` of io.safetensors. */
const gtJson = (cfg: { gt_instances: Record<string, unknown>[] }) => cfg.gt_instances.map((g, i) => (g.masks ? { ...g, masks: `gt_masks.${i}` } : g));

const CASES: [string, string[]][] = [
  ['faster_rcnn_tiny', ['rpn_head.rpn_cls.weight', 'roi_head.bbox_head.fc_reg.weight']],
  ['mask_rcnn_tiny', ['rpn_head.rpn_cls.weight', 'roi_head.mask_head.conv_logits.weight']],
  ['cascade_rcnn_tiny', ['roi_head.bbox_head.1.fc_cls.weight', 'roi_head.bbox_head.2.fc_reg.weight']],
];

describe('hrdet forward --mode loss (det_train fixtures)', function () {
  this.timeout(180000);
  for (const [name, grads] of CASES) {
    it(`${name}: writes every loss, total_loss and the requested gradients as mmdetection computes them`, async () => {
      const fdir = fixtureDir(name);
      const fcfg = JSON.parse(readFileSync(join(fdir, 'config.json'), 'utf8'));
      const dir = tempFiles({ 'config.json': { model: fcfg.model }, 'metas.json': fcfg.img_metas, 'gt.json': gtJson(fcfg) });
      try {
        const r = runOn(fdir, dir, ['--grads', grads.join(','), '--strict']);
        expect(r.code, r.stderr).to.equal(0);
        const got = (await readSafetensors(join(dir, 'out.safetensors'))).tensors;
        const ref = (await readSafetensors(join(fdir, 'io.safetensors'))).tensors;
        const names = fcfg.losses as string[];
        expect([...got.keys()].filter((k) => !k.startsWith('grad.')).sort()).to.deep.equal([...names].sort());
        for (const n of names) expect(got.get(n)!.shape, n).to.deep.equal([]);
        expectLossesNear(new Map(names.map((n) => [n, (got.get(n)!.data as Float32Array)[0]])), ref, names);
        expectGradsNear(new Map(grads.map((n) => [n, got.get(`grad.${n}`)!.data as Float32Array])), ref, grads);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('mask_rcnn_tiny: a masks name missing from --input, or of the wrong shape, fails naming gt.json and the field', () => {
    const fdir = fixtureDir('mask_rcnn_tiny');
    const fcfg = JSON.parse(readFileSync(join(fdir, 'config.json'), 'utf8'));
    const gts = gtJson(fcfg);
    for (const [masks, message] of [
      ['gt_mask.1', "[1].masks: no tensor 'gt_mask.1' in the --input file"],
      ['gt_masks.0', "[1].masks: 'gt_masks.0' in"],
    ]) {
      const dir = tempFiles({ 'config.json': { model: fcfg.model }, 'metas.json': fcfg.img_metas, 'gt.json': [gts[0], { ...gts[1], masks }] });
      try {
        const r = runOn(fdir, dir);
        expect(r.code).to.not.equal(0);
        expect(r.stderr.trim().split('\n').pop()).to.contain(`hrdet: error: ${join(dir, 'gt.json')}: ${message}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  const runOn = (fdir: string, dir: string, extra: string[] = []) =>
    hrdet([
      'forward', join(dir, 'config.json'),
      '--checkpoint', join(fdir, 'state_dict.pth'),
      '--input', join(fdir, 'io.safetensors'),
      '--img-metas', join(dir, 'metas.json'),
      '--gt', join(dir, 'gt.json'),
      '--mode', 'loss',
      '--output', join(dir, 'out.safetensors'),
      '--backend', 'cpu',
      ...extra,
    ]);
  const cfg = JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8'));
  const files = (gt: unknown) => tempFiles({ 'config.json': { model: cfg.model }, 'metas.json': cfg.img_metas, 'gt.json': gt });
  const run = (dir: string, extra: string[] = []) => runOn(DIR, dir, extra);

  it('names the file and the field of a malformed box, an unknown parameter and a missing --gt', () => {
    const bad = cfg.gt_instances.map((g: { bboxes: number[][]; labels: number[] }) => ({ ...g }));
    bad[1] = { ...bad[1], bboxes: [...bad[1].bboxes.slice(0, 2), [1, 2, 3], ...bad[1].bboxes.slice(3)] };
    const dir = files(bad);
    try {
      const r = run(dir);
      expect(r.code).to.not.equal(0);
      const last = r.stderr.trim().split('\n').pop()!;
      expect(last).to.equal(`hrdet: error: ${join(dir, 'gt.json')}: [1].bboxes[2]: expected [x1, y1, x2, y2] (4 numbers)`);
      const wrong = run(files(cfg.gt_instances), ['--grads', 'rpn_head.rpn_cls.weigth']);
      expect(wrong.code).to.not.equal(0);
      expect(wrong.stderr).to.match(/--grads: FasterRCNN has no parameter 'rpn_head\.rpn_cls\.weigth' \(nearest: rpn_head\.rpn_cls\.weight/);
      const noGt = hrdet(['forward', join(dir, 'config.json'), '--input', join(DIR, 'io.safetensors'), '--mode', 'loss', '--output', join(dir, 'o.safetensors')]);
      expect(noGt.stderr).to.contain('--mode loss needs --img-metas and --gt');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
