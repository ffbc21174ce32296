import { expect } from 'chai';
import { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from '../../src/cli/commands/export';
import { addGlobalOptions } from '../../src/cli/global-options';
import { readOnnxSummary } from '../../src/engines/onnx/onnx-writer';
import { sharedFixtures } from '../fixture-root';
import '../../src/components';

/** `hrdet <args>` with only the export command registered; resolves to what it printed on stdout. */
async function hrdet(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const program = addGlobalOptions(new Command('hrdet')).exitOverride();
  register(program);
  program.commands.forEach((c) => c.exitOverride());
  const out: string[] = [];
  const err: string[] = [];
  const [o, e] = [process.stdout.write, process.stderr.write];
  process.stdout.write = ((s: string) => out.push(s) > 0) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => err.push(s) > 0) as typeof process.stderr.write;
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
  return { stdout: out.join(''), stderr: err.join('') };
}

describe('hrdet export (command)', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hrdet-export-cli-'));
    const config = {
      input_shape: [3, 32, 48],
      model: {
        type: 'FeaturePyramid',
        backbone: { type: 'ResNet', depth: 18, base_channels: 4 },
        neck: { type: 'FPN', out_channels: 8, num_outs: 5 },
      },
    };
    writeFileSync(join(dir, 'tiny.json'), JSON.stringify(config));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exports, verifies and writes the model and a Triton entry', async () => {
    const out = join(dir, 'tiny.onnx');
    const { stdout, stderr } = await hrdet(['export', join(dir, 'tiny.json'), '--dynamic', '--opset', '18', '--out', out, '--triton', join(dir, 'repo')]);
    expect(stderr).to.match(/tfjs backend: /);
    expect(stderr).to.match(/verify \[2, 3, \d+, \d+\] neck\.2: max error/);
    expect(stdout).to.include('input  input: float32 [batch, 3, height, width]');
    expect(stdout).to.match(/verified on onnxruntime CPU/);
    const s = readOnnxSummary(readFileSync(out));
    expect(s.opset).to.equal(18);
    expect(s.outputs.map((v) => v.name)).to.deep.equal(['backbone.0', 'backbone.1', 'backbone.2', 'backbone.3', 'neck.0', 'neck.1', 'neck.2', 'neck.3', 'neck.4']);
    expect(JSON.parse(s.metadata.config).input_shape).to.deep.equal([3, 32, 48]);
    expect(readFileSync(join(dir, 'repo', 'tiny', 'config.pbtxt'), 'utf8')).to.match(/^name: "tiny"/);
  });

  it('exports a whole two-stage detector with its detections only (--outputs), image sizes as inputs', async function () {
    this.timeout(120000);
    const fixture = join(sharedFixtures(), 'det', 'mask_rcnn_tiny');
    writeFileSync(join(dir, 'mask.json'), JSON.stringify({ model: JSON.parse(readFileSync(join(fixture, 'config.json'), 'utf8')).model }));
    const out = join(dir, 'mask.onnx');
    const { stdout } = await hrdet(['export', join(dir, 'mask.json'), '--checkpoint', join(fixture, 'state_dict.pth'), '--shape', '3,128,160', '--outputs', 'dets,labels,masks', '--out', out]);
    expect(stdout).to.match(/verified on onnxruntime CPU/);
    const s = readOnnxSummary(readFileSync(out));
    expect(s.inputs.map((v) => v.name)).to.deep.equal(['input', 'img_shape', 'scale_factor']);
    expect(s.outputs.map((v) => v.name)).to.deep.equal(['dets', 'labels', 'masks']);
    // the detection count is a graph dimension
    expect(s.outputs[0].dims.map((d) => typeof d)).to.deep.equal(['string', 'number']);
  });

  it('needs somewhere to write', async () => {
    let err: unknown;
    await hrdet(['export', join(dir, 'tiny.json')]).catch((e) => (err = e));
    expect((err as Error).message).to.match(/nothing to write/);
  });
});
