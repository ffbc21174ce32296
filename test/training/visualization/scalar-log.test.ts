import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileError, UserError } from '../../../src/core/errors';
import { curveChartSpec } from '../../../src/training/visualization/curve-chart';
import { LocalVisBackend } from '../../../src/training/visualization/local-vis-backend';
import { curvePoints, isEpochBased, logKeys, readScalarLog, resolveKey } from '../../../src/training/visualization/scalar-log';

describe('scalar logs (vis_data/scalars.json)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hrdet-scalars-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (lines: string[]) => {
    const file = join(dir, 'scalars.json');
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  };

  /** Two epochs of 3 iterations, logged every iteration, each followed by a validation line. */
  const epochLog = () =>
    write([
      '{"lr": 0.02, "loss": 3, "epoch": 1, "iter": 1, "step": 1}',
      '{"lr": 0.02, "loss": 2, "epoch": 1, "iter": 2, "step": 2}',
      '{"lr": 0.02, "loss": NaN, "epoch": 1, "iter": 3, "step": 3}',
      '{"coco/bbox_mAP": 0.1, "coco/bbox_mAP_50": 0.3, "data_time": 0.5, "time": 0.9, "step": 1}',
      '',
      '{"lr": 0.01, "loss": 1, "epoch": 2, "iter": 1, "step": 4}',
      '{"lr": 0.01, "loss": 0.5, "epoch": 2, "iter": 2, "step": 5}',
      '{"coco/bbox_mAP": 0.2, "coco/bbox_mAP_50": 0.4, "data_time": 0.5, "time": 0.9, "step": 2}',
    ]);

  it("reads what LocalVisBackend writes, NaN as null (hrdet's) or bare (Python json's)", () => {
    const b = new LocalVisBackend({ save_dir: dir });
    b.addScalars({ loss: 1.5, lr: 0.02 }, 10);
    b.addScalars({ loss: Number.NaN, lr: 0.02 }, 20);
    const log = readScalarLog(b.scalarFile);
    expect(log.records.map((r) => [r.line, r.step, r.values.loss])).to.deep.equal([
      [1, 10, 1.5],
      [2, 20, null],
    ]);
    const py = readScalarLog(write(['{"loss": NaN, "step": 1}', '{"loss": -Infinity, "grad_norm": Infinity, "step": 2}']));
    expect(py.records.map((r) => [r.values.loss, 'grad_norm' in r.values ? r.values.grad_norm : 'absent'])).to.deep.equal([
      [null, 'absent'],
      [null, null],
    ]);
  });

  it('names the file and line of a malformed line', () => {
    const bad = (lines: string[], pattern: RegExp) => {
      const file = write(lines);
      expect(() => readScalarLog(file)).to.throw(FileError, pattern);
    };
    bad(['{"loss": 1, "step": 1}', '{"loss": 1, "step": 2'], /scalars\.json:2: not valid JSON/);
    bad(['{"loss": 1, "step": 1}', '', '[1, 2]'], /scalars\.json:3: expected an object of scalars/);
    bad(['{"loss": "high", "step": 1}'], /scalars\.json:1: 'loss' is 'high'; expected a number/);
    bad(['{"loss": 1}'], /scalars\.json:1: no numeric 'step'/);
    bad(['', ''], /no scalar lines/);
    expect(() => readScalarLog(join(dir, 'none.json'))).to.throw(FileError, /none\.json: no such scalar log/);
  });

  it("keys: a validation line's metrics only; full names or mmdetection's shorthand", () => {
    const log = readScalarLog(epochLog());
    expect(log.records.map((r) => r.validation)).to.deep.equal([false, false, false, true, false, false, true]);
    expect(logKeys(log)).to.deep.equal(['lr', 'loss', 'epoch', 'iter', 'coco/bbox_mAP', 'coco/bbox_mAP_50']);
    expect(resolveKey(log, 'loss')).to.equal('loss');
    expect(resolveKey(log, 'bbox_mAP')).to.equal('coco/bbox_mAP');
    expect(resolveKey(log, 'coco/bbox_mAP_50')).to.equal('coco/bbox_mAP_50');
    // the evaluation's own timing is not a training curve
    expect(() => resolveKey(log, 'data_time')).to.throw(FileError, /no line has the key 'data_time'; keys present: lr, loss, epoch, iter, coco\/bbox_mAP, coco\/bbox_mAP_50$/);
    const two = readScalarLog(write(['{"coco/bbox_mAP": 0.1, "pascal/bbox_mAP": 0.2, "step": 1}']));
    expect(() => resolveKey(two, 'bbox_mAP')).to.throw(UserError, /'bbox_mAP' matches coco\/bbox_mAP, pascal\/bbox_mAP; give the full key/);
  });

  it('points: NaN left out; per-epoch metrics at the epoch, or at the last iteration of the epoch', () => {
    const log = readScalarLog(epochLog());
    expect(isEpochBased(log)).to.equal(true);
    expect(curvePoints(log, 'loss', true)).to.deep.equal([
      { x: 1, y: 3 },
      { x: 2, y: 2 },
      { x: 4, y: 1 },
      { x: 5, y: 0.5 },
    ]);
    expect(curvePoints(log, 'coco/bbox_mAP', false)).to.deep.equal([
      { x: 1, y: 0.1 },
      { x: 2, y: 0.2 },
    ]);
    expect(curvePoints(log, 'coco/bbox_mAP', true)).to.deep.equal([
      { x: 3, y: 0.1 },
      { x: 5, y: 0.2 },
    ]);
    // an iteration-based run logs validation at the iteration already
    const iters = readScalarLog(write(['{"loss": 1, "step": 50}', '{"mIoU/mIoU": 0.3, "step": 100}']));
    expect(isEpochBased(iters)).to.equal(false);
    expect(curvePoints(iters, 'mIoU/mIoU', true)).to.deep.equal([{ x: 100, y: 0.3 }]);
  });

  it('chart spec: x domain padded by xmargin of the data range, series in the given order', () => {
    const curves = [
      { label: 'b', points: [{ x: 10, y: 1 }, { x: 30, y: 2 }], markers: false },
      { label: 'a', points: [{ x: 20, y: 0 }, { x: 110, y: 1 }], markers: true },
    ];
    const spec = curveChartSpec(curves, { xTitle: 'iter', xmargin: 0.1, width: 300, height: 200 }) as { encoding: Record<string, { scale: { domain: unknown } }>; data: { values: unknown[] } };
    expect(spec.encoding.x.scale.domain).to.deep.equal([0, 120]);
    expect(spec.encoding.color.scale.domain).to.deep.equal(['b', 'a']);
    expect(spec.data.values).to.have.length(4);
    const single = curveChartSpec([{ label: 'c', points: [{ x: 5, y: 1 }], markers: false }], { xTitle: 'iter', xmargin: 0.2, width: 300, height: 200 }) as typeof spec;
    expect(single.encoding.x.scale.domain).to.deep.equal([4, 6]);
  });
});
