import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { hrdet, hrdetAsync, type CliResult } from './run-cli';

const STEPS = ['dataset', 'train-hrnet', 'train-r18', 'test-hrnet', 'test-r18', 'export-hrnet', 'export-r18', 'benchmark'];

interface State {
  settings: { budget: { name: string } };
  steps: Record<string, { outputs: string[]; seconds: number; cpu_seconds?: number; result?: Record<string, unknown> }>;
}

describe('hrdet demo --quick: every step, every output, and a second run that reuses them', function () {
  this.timeout(900000);
  const root = mkdtempSync(join(tmpdir(), 'hrdet-demo-'));
  const dir = join(root, 'demo');
  const state = () => JSON.parse(readFileSync(join(dir, 'demo-state.json'), 'utf8')) as State;
  let first: CliResult;

  before(async () => {
    first = await hrdetAsync(['demo', '--quick', '--work-dir', dir, '--backend', 'wasm']);
  });
  // checkpoints and ONNX files: about 200 MB
  after(() => rmSync(root, { recursive: true, force: true }));

  it('runs the eight steps, saying per step what is happening', () => {
    expect(first.code, first.stderr).to.equal(0);
    for (let i = 1; i <= 8; i++) expect(first.stderr).to.match(new RegExp(`^\\[${i}/8\\] .+ …$`, 'm')).and.match(new RegExp(`^\\[${i}/8\\] done in [\\d.]+ s \\([\\d.]+ s of CPU; load average [\\d.]+ → [\\d.]+\\)$`, 'm'));
    expect(first.stderr).to.match(/\[2\/8\] train Faster R-CNN HRNetV2p-W18-small: 2 iterations of 2 images/);
    expect(first.stderr).to.match(/Epoch\(train\)/); // the runner's own progress
    expect(first.stderr).to.match(/row 4\/4: /);
  });

  it('writes the data, configs, checkpoints, metrics, ONNX files and the report, all recorded in the state file', () => {
    const s = state();
    expect(s.settings.budget.name).to.equal('quick');
    expect(Object.keys(s.steps)).to.deep.equal(STEPS);
    for (const [step, r] of Object.entries(s.steps)) {
      expect(r.outputs.length, step).to.be.above(0);
      expect(r.cpu_seconds, step).to.be.a('number').and.at.least(0);
      for (const f of r.outputs) expect(existsSync(join(dir, f)), `${step}: ${f}`).to.equal(true);
    }
    for (const f of ['data/annotations/instances_val.json', 'configs/faster-rcnn_r18_fpn_synthetic.json', 'work/hrnet/iter_2.pth', 'work/r18/iter_2.pth', 'onnx/hrnet.onnx', 'onnx/r18.onnx']) {
      expect(existsSync(join(dir, f)), f).to.equal(true);
    }
    for (const m of ['hrnet', 'r18']) {
      const metrics = s.steps[`test-${m}`].result!.metrics as Record<string, number>;
      expect(metrics['coco/bbox_mAP'], m).to.be.within(0, 1);
      const written = JSON.parse(readFileSync(join(dir, s.steps[`test-${m}`].outputs[0]), 'utf8'));
      expect(written.metrics['coco/bbox_mAP']).to.equal(metrics['coco/bbox_mAP']);
      // two-stage detectors export their backbone + neck until the whole graph traces
      expect(s.steps[`export-${m}`].result!.exported).to.be.oneOf(['whole model', 'backbone+neck']);
      expect(statSync(join(dir, `onnx/${m}.onnx`)).size).to.be.above(1e5);
    }
    const results = JSON.parse(readFileSync(join(dir, 'report/results.json'), 'utf8')) as { rows: { model: string; engine: string; metrics: Record<string, number> }[] };
    expect(results.rows.map((r) => `${r.model}|${r.engine.split(' ')[0]}`)).to.deep.equal([
      'faster-rcnn_hrnetv2p-w18-small_synthetic|tfjs',
      'faster-rcnn_r18_fpn_synthetic|tfjs',
      'faster-rcnn_hrnetv2p-w18-small_synthetic|onnx',
      'faster-rcnn_r18_fpn_synthetic|onnx',
    ]);
    for (const r of results.rows) {
      const m = r.model.includes('hrnet') ? 'hrnet' : 'r18';
      expect(r.metrics, r.model).to.deep.equal(s.steps[`test-${m}`].result!.metrics);
    }
    for (const f of ['report.md', 'report.html', 'chart-ap-vs-latency.png', 'chart-latency-vs-gmacs.png']) expect(existsSync(join(dir, 'report', f)), f).to.equal(true);
    expect(readFileSync(join(dir, 'report/report.md'), 'utf8')).to.match(/\| box AP \| AP50 \|/);
  });

  it('prints the summary table, the latency ratios and where the report is', () => {
    expect(first.stdout).to.match(/model\s+box AP\s+AP50\s+params \(M\)\s+GMACs\s+tfjs ms\s+onnx ms/);
    expect(first.stdout).to.match(/^Faster R-CNN HRNetV2p-W18-small\s+[\d.]+\s+[\d.]+\s+21\.40\s/m);
    expect(first.stdout).to.match(/^Faster R-CNN R-18-FPN\s+[\d.]+\s+[\d.]+\s+28\.31\s/m);
    expect(first.stdout).to.match(/latency HRNetV2p-W18-small \/ R-18-FPN: tfjs [\d.]+x, onnxruntime [\d.]+x/);
    expect(first.stdout).to.contain(`report: ${join(dir, 'report', 'report.html')}`);
  });

  it('a second run reuses every step; a deleted output redoes only its step', async () => {
    const before = readFileSync(join(dir, 'demo-state.json'), 'utf8');
    const again = await hrdetAsync(['demo', '--quick', '--work-dir', dir, '--backend', 'wasm']);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stderr.match(/done before \([\d.]+ s then\), reused/g)).to.have.length(8);
    expect(again.stderr).not.to.match(/Epoch\(train\)/);
    expect(again.stdout).to.match(/8 step\(s\) reused/);
    expect(readFileSync(join(dir, 'demo-state.json'), 'utf8')).to.equal(before);

    rmSync(join(dir, 'onnx', 'r18.onnx'));
    const third = await hrdetAsync(['demo', '--quick', '--work-dir', dir, '--backend', 'wasm']);
    expect(third.code, third.stderr).to.equal(0);
    expect(third.stderr.match(/reused/g)).to.have.length(7);
    expect(third.stderr).to.match(/^\[7\/8\] export Faster R-CNN R-18-FPN to ONNX …$/m);
    expect(existsSync(join(dir, 'onnx', 'r18.onnx'))).to.equal(true);
  });

  it('refuses a work dir that is a file and a broken state file in one line', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hrdet-demo-')), 'f');
    writeFileSync(file, 'x');
    const broken = mkdtempSync(join(tmpdir(), 'hrdet-demo-'));
    writeFileSync(join(broken, 'demo-state.json'), '{');
    for (const [d, message] of [
      [file, /--work-dir .*\/f: not a folder/],
      [broken, /demo-state\.json: not a demo state file .*remove it to start over/],
    ] as const) {
      const r = hrdet(['demo', '--quick', '--work-dir', d, '--backend', 'wasm']);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.match(message);
      expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('tfjs backend:'))).to.have.length(1);
    }
  });
});
