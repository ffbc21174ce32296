import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hrdet, tempFiles } from './run-cli';

const LOG = ['{"lr": 0.02, "loss": 1.5, "step": 10}', '{"lr": 0.02, "loss": 1.2, "step": 20}', '{"mIoU/mIoU": 0.4, "step": 20}'].join('\n');

describe('hrdet plot-log', function () {
  this.timeout(120000);

  it('draws the keys given comma-separated and says what it wrote', () => {
    const dir = tempFiles({ 'vis_data/scalars.json': LOG });
    const r = hrdet(['plot-log', 'vis_data/scalars.json', '--keys', 'loss,mIoU', '--out', 'curve.png', '--title', 'run'], { cwd: dir });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('loss: 2 points (loss of vis_data/scalars.json)\nmIoU: 1 points (mIoU/mIoU of vis_data/scalars.json)\n');
    expect(r.stderr).to.equal('wrote curve.png (png, 640x480)\n');
    expect(existsSync(join(dir, 'curve.png'))).to.equal(true);
  });

  it('user errors: one line, exit 2 (missing file, unknown key, malformed line, bad option)', () => {
    const dir = tempFiles({ 'scalars.json': LOG, 'bad.json': `${LOG}\n{"loss": 1.0, "step": }\n` });
    const cases: [string[], RegExp][] = [
      [['missing.json', '--keys', 'loss'], /missing\.json: no such scalar log/],
      [['scalars.json', '--keys', 'loss,acc'], /scalars\.json: no line has the key 'acc'; keys present: lr, loss, mIoU\/mIoU/],
      [['scalars.json', 'bad.json', '--keys', 'loss'], /bad\.json:4: not valid JSON/],
      [['scalars.json', '--keys', 'loss', '--xmargin', '-1'], /--xmargin.*expected a fraction >= 0/],
    ];
    for (const [args, pattern] of cases) {
      const r = hrdet(['plot-log', ...args, '--out', 'x.png'], { cwd: dir });
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
      expect(r.stderr).to.match(pattern);
    }
    expect(existsSync(join(dir, 'x.png'))).to.equal(false);
  });
});
