/**
 * examples/custom-backbone: a backbone registered from outside src/ builds under shipped
 * FeaturePyramid + FPN through its config's custom_imports, and runs through the CLI.
 */
import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { hostTensor } from '../../src/core/host-tensor';
import { Random } from '../../src/core/random';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors';
import { hrdet, tempFiles, ROOT } from './run-cli';

const CONFIG = join(ROOT, 'examples', 'custom-backbone', 'config.json');

describe('examples/custom-backbone through the CLI', function () {
  this.timeout(120000);

  it('lists the plugin backbone under its scope', () => {
    const r = hrdet(['list', 'backbones', '--plugin', join(ROOT, 'examples', 'custom-backbone', 'tiny-convnet.ts')]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/tiny-convnet\.TinyConvNet/);
  });

  it('analyses the config (channels taken from the plugin backbone)', () => {
    const r = hrdet(['analyze', CONFIG, '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const a = JSON.parse(r.stdout);
    expect(JSON.stringify(a)).to.contain('TinyConvNet');
  });

  it('runs a forward with every pyramid level at its stride', async () => {
    const dir = tempFiles({});
    try {
      const input = join(dir, 'in.safetensors');
      const output = join(dir, 'out.safetensors');
      await writeSafetensors(input, { input: hostTensor('float32', [2, 3, 128, 96], new Random(5).normalArray(2 * 3 * 128 * 96)) });
      const r = hrdet(['forward', CONFIG, '--input', input, '--output', output, '--backend', 'wasm']);
      expect(r.code, r.stderr).to.equal(0);
      const outs = (await readSafetensors(output)).tensors;
      const strides = [4, 8, 16, 32];
      strides.forEach((s, i) => expect([...outs.get(`backbone.${i}`)!.shape]).to.deep.equal([2, [16, 32, 64, 128][i], 128 / s, 96 / s]));
      expect([...outs.get('neck.0')!.shape]).to.deep.equal([2, 32, 32, 24]);
      expect([...outs.get('neck.4')!.shape]).to.deep.equal([2, 32, 2, 2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
