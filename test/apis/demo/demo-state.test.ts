import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { DemoState, STATE_FILE } from '../../../src/apis/demo/demo-state';
import { FileError } from '../../../src/core/errors';

const record = (outputs: string[]) => ({ outputs, seconds: 1.5, finished: '2026-01-01T00:00:00.000Z', load: [0.5, 0.7] as [number, number], result: { n: 1 } });

describe('DemoState: finished steps survive a restart while their outputs exist', () => {
  it('records a step atomically, finds it again, and forgets it when an output is deleted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrdet-demo-state-'));
    mkdirSync(join(dir, 'a'));
    writeFileSync(join(dir, 'a', 'x.txt'), 'x');
    const s = DemoState.open(dir, { budget: 'quick' });
    expect(s.finished('step')).to.equal(null);
    await s.record('step', record(['a/x.txt', 'a']));
    expect(JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')).steps.step.outputs).to.deep.equal(['a/x.txt', 'a']);
    const again = DemoState.open(dir, { budget: 'quick' });
    expect(again.replacedSettings).to.equal(null);
    expect(again.finished('step')).to.deep.equal(record(['a/x.txt', 'a']));
    rmSync(join(dir, 'a', 'x.txt'));
    expect(again.finished('step')).to.equal(null);
  });

  it('starts over when the settings differ, and says which they were', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrdet-demo-state-'));
    await DemoState.open(dir, { budget: 'quick' }).record('step', record([]));
    const s = DemoState.open(dir, { budget: 'full' });
    expect(s.replacedSettings).to.deep.equal({ budget: 'quick' });
    expect(s.finished('step')).to.equal(null);
  });

  it('refuses a state file it did not write, in one line naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrdet-demo-state-'));
    writeFileSync(join(dir, STATE_FILE), '{"steps": ');
    expect(() => DemoState.open(dir, {})).to.throw(FileError, new RegExp(`${STATE_FILE}: not a demo state file .*remove it to start over`));
    writeFileSync(join(dir, STATE_FILE), '{"steps": {}}');
    expect(() => DemoState.open(dir, {})).to.throw(FileError, /not a demo state file; remove it/);
  });
});
