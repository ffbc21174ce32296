/** Backend start-up: the report, the cpu banner, wasm threads and their switch. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { activeBackend, initBackend } from '../../../src/engines/tfjs/backend';
import { cpuBackend } from '../../../src/engines/tfjs/kernels/host-kernel';

const BACKEND_JS = path.resolve(__dirname, '../../../src/engines/tfjs/backend.js');

/** Start a backend in a fresh Node process; returns its report (or the failure) and whether it exited on its own. */
function startInChild(env: Record<string, string>, backend = 'wasm') {
  const script = [
    `require(${JSON.stringify(BACKEND_JS)}).initBackend(${JSON.stringify(backend)})`,
    `  .then((r) => process.stdout.write(JSON.stringify(r)), (e) => process.stdout.write(JSON.stringify({ error: e.message })));`,
  ].join('\n');
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { status: r.status, signal: r.signal, out: r.stdout ? JSON.parse(r.stdout) : null, stderr: r.stderr };
}

describe('tfjs backend start-up', function () {
  this.timeout(120_000);

  it('reports the wasm backend with its thread count', async () => {
    const previous = activeBackend()?.name;
    const r = await initBackend('wasm');
    expect(r.name).to.equal('wasm');
    expect(r.threads).to.be.a('number').and.to.be.at.least(1);
    if (previous) await initBackend(previous);
  });

  it('the cpu backend prints no "install tfjs-node" banner', () => {
    const cpu = cpuBackend() as tf.KernelBackend & { firstUse: boolean };
    cpu.firstUse = true;
    cpuBackend();
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => void warnings.push(a.join(' '));
    try {
      cpu.disposeData(cpu.write(new Float32Array(2), [2], 'float32'));
    } finally {
      console.warn = warn;
    }
    expect(warnings.join('\n')).to.not.match(/TensorFlow\.js in Node/);
  });

  it("with wasm's own kernels, wasm runs on every CPU (at most 8) by default and exits without waiting on its threads", () => {
    const r = startInChild({ HRDET_WASM_THREADS: '', HRDET_KERNELS: 'wasm' });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.out.name).to.equal('wasm');
    expect(r.out.threads).to.equal(Math.min(os.cpus().length, 8));
    expect(r.stderr).to.not.match(/TensorFlow\.js in Node/);
  });

  it('HRDET_WASM_THREADS=1 switches to the single-threaded build; a bad value is an error', () => {
    const one = startInChild({ HRDET_WASM_THREADS: '1', HRDET_KERNELS: 'wasm' });
    expect(one.status, one.stderr).to.equal(0);
    expect(one.out.threads).to.equal(1);
    const bad = startInChild({ HRDET_WASM_THREADS: 'many' });
    expect(bad.out.error).to.match(/wasm threads must be a whole number >= 0.*'many'/);
  });
});
