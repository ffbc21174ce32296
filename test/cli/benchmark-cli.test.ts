import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { hrdet } from './run-cli';

const FCOS = 'test/apis/benchmark/tiny-fcos.json';

describe('hrdet benchmark', function () {
  this.timeout(120000);

  it('times a config on onnx, prints the table and progress, and writes the results and the report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrdet-bench-cli-'));
    const r = hrdet(['benchmark', FCOS, '--engines', 'onnx', '--shape', '3,64,64', '--batch', '1,2', '--iters', '2', '--warmup', '1', '--out-dir', dir]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/model\s+engine\s+batch\s+params \(M\)\s+GMACs\s+median ms/);
    expect(r.stdout.match(/^tiny-fcos\s+onnx\s+\d/gm)).to.have.length(2);
    expect(r.stderr).to.match(/warm-up 1\/1 {2}tiny-fcos onnx b1: [\d.]+ ms/);
    expect(r.stderr).to.match(/row 2\/2: tiny-fcos onnx b2: median/);
    expect(r.stderr).to.match(/load average/);
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(results.command).to.contain('benchmark test/apis/benchmark/tiny-fcos.json');
    expect(results.rows.map((x: { batch: number }) => x.batch)).to.deep.equal([1, 2]);
    for (const f of ['report.md', 'report.html', 'chart-latency-vs-gmacs.png']) expect(existsSync(join(dir, f)), f).to.equal(true);
  });

  it('refuses usage errors in one line with exit code 2', () => {
    const cases: [string[], RegExp][] = [
      [['benchmark', '--out-dir', tmpdir()], /nothing to benchmark: give config files or --preset/],
      [['benchmark', FCOS], /required option '--out-dir <dir>' not specified/],
      [['benchmark', FCOS, '--engines', 'tensorrt', '--out-dir', tmpdir()], /Expected a comma-separated list of tfjs, onnx/],
      [['benchmark', FCOS, '--checkpoint', 'nope', '--out-dir', tmpdir()], /--checkpoint nope: expected <config>=<file>/],
      [['benchmark', FCOS, '--checkpoint', 'other=x.pth', '--out-dir', tmpdir()], /'other' is none of the configs benchmarked/],
      [['benchmark', '--preset', 'nope', '--out-dir', tmpdir()], /unknown benchmark preset 'nope': expected hrnet-vs-resnet/],
      [['benchmark', FCOS, '--shape', '3,64', '--out-dir', tmpdir()], /Expected three positive integers C,H,W/],
    ];
    for (const [args, message] of cases) {
      const r = hrdet(args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr, args.join(' ')).to.match(message);
      expect(r.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
    }
  });
});
