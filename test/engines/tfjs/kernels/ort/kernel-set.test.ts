/**
 * Choosing and reporting the kernel set; and how the suite covers both sets.
 *
 * The whole test suite runs with the 'ort' set (the default) taking every call whatever its
 * size: the root hook below sets the size rule to 0, in this process and, through
 * HRDET_ORT_MIN_MACS, in the CLI processes tests start. So every op table, gradient check and
 * fixture forward exercises the onnxruntime kernels. The 'wasm' set runs the kernel-level
 * tables (conv-grad, the dense gradient checks) a second time, not the whole suite.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { backendLine } from '../../../../../src/cli/global-options';
import { activeKernelSet, chooseKernelSet, setMinMacs, useKernelSet } from '../../../../../src/engines/tfjs/kernels/ort/kernel-set';

before(() => {
  process.env.HRDET_ORT_MIN_MACS = '0';
  setMinMacs();
});

const BACKEND_JS = path.resolve(__dirname, '../../../../../src/engines/tfjs/backend.js');

function startInChild(env: Record<string, string>) {
  const script = [
    `require(${JSON.stringify(BACKEND_JS)}).initBackend('wasm')`,
    `  .then((r) => process.stdout.write(JSON.stringify(r)), (e) => process.stdout.write(JSON.stringify({ error: e.message })));`,
  ].join('\n');
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, HRDET_WASM_THREADS: '', ...env }, timeout: 60_000 });
  return { status: r.status, out: r.stdout ? JSON.parse(r.stdout) : null, stderr: r.stderr };
}

describe('ort kernels: the kernel set', function () {
  this.timeout(120_000);

  it("defaults to 'ort', on single-threaded wasm, and says so", () => {
    const r = startInChild({ HRDET_KERNELS: '' });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.out.kernels).to.deep.equal({ name: 'ort' });
    expect(r.out.threads).to.equal(1);
  });

  it("HRDET_KERNELS=wasm keeps wasm's kernels on every CPU; an unknown set is an error", () => {
    const wasm = startInChild({ HRDET_KERNELS: 'wasm' });
    expect(wasm.out.kernels).to.deep.equal({ name: 'wasm' });
    expect(wasm.out.threads).to.equal(Math.min(os.cpus().length, 8));
    expect(startInChild({ HRDET_KERNELS: 'fast' }).out.error).to.match(/unknown kernel set 'fast': expected one of ort, wasm/);
  });

  it('switches within a process and restores', () => {
    const before = activeKernelSet();
    expect(chooseKernelSet('wasm')).to.deep.equal({ name: 'wasm' });
    expect(activeKernelSet()).to.equal('wasm');
    useKernelSet('ort');
    expect(activeKernelSet()).to.equal('ort');
    useKernelSet(before);
  });

  it('is reported in the same line as the backend', () => {
    expect(backendLine({ name: 'wasm', skipped: [{ name: 'tensorflow', reason: 'not installed' }], threads: 1, kernels: { name: 'ort' } })).to.equal(
      'tfjs backend: wasm [1 wasm thread, kernels: ort] (skipped tensorflow: not installed)',
    );
    expect(backendLine({ name: 'cpu', skipped: [], kernels: { name: 'wasm', reason: 'onnxruntime-node 1.24.0 is installed' } })).to.equal(
      'tfjs backend: cpu [kernels: wasm (ort unavailable: onnxruntime-node 1.24.0 is installed)]',
    );
  });
});
