import { expect } from 'chai';
import * as path from 'node:path';
import { hrdet, hrdetAsync, pool, tempFiles, type CliResult } from './run-cli';

/** A ResNet-18 feature extractor (no fc), costs hand-computed below. */
const R18 = { model: { type: 'FeaturePyramid', backbone: { type: 'ResNet', depth: 18 } }, input_shape: [3, 224, 224] };
/*
 * ResNet-18 conv MACs at 224x224 (C_out * C_in * k * k * H_out * W_out):
 *   conv1 64*3*49*112*112                                   = 118,013,952
 *   layer1 4 x 64*64*9*56*56                                = 462,422,016
 *   layer2 128*64*9*28*28 + 128*64*28*28 + 3 x 128*128*9*28*28 = 411,041,792
 *   layer3, layer4 the same as layer2 (channels x2, area /4)  = 2 x 411,041,792
 *   total                                                   = 1,813,561,344
 * Parameters: torchvision's resnet18 has 11,689,512, of which the fc layer 512*1000+1000 = 513,000.
 */
const R18_MACS = 1_813_561_344;
const R18_PARAMS = 11_176_512;

/** A plugin whose backbone fails with a programming error (not a user error). */
const BOOM_PLUGIN = `
const { BACKBONES, Backbone, z } = require('hrdet');
class Exploding extends Backbone {
  outputShape() { return [{ channels: 3, stride: 1 }]; }
  forward() { throw new TypeError('kaboom'); }
}
BACKBONES.register(z.object({}).strict(), () => new Exploding(), { name: 'Exploding' });
`;

const dir = tempFiles({
  'r18.json': R18,
  'r18_noshape.json': { model: R18.model },
  'unknown_type.json': { model: { type: 'FeaturePyramid', backbone: { type: 'HRNett' } } },
  'bad_value.json': { model: { type: 'FeaturePyramid', backbone: { type: 'ResNet', depth: 'fifty' } } },
  'bad_input_shape.json': { ...R18, input_shape: [3, 64] },
  'broken.json': '{"model": {"type": "FeaturePyramid"}\n',
  'no_model.json': { input_shape: [3, 64, 64] },
  'boom.js': BOOM_PLUGIN,
  'boom.json': { model: { type: 'FeaturePyramid', backbone: { type: 'Exploding' } } },
});
const cfg = (name: string) => path.join(dir, name);
const run = (args: string[], env?: Record<string, string>) => hrdet(args, { cwd: dir, env });

function expectUserError(r: CliResult, message: string): void {
  expect(r.stderr, r.stderr).to.equal(`hrdet: error: ${message}\n`);
  expect(r.code).to.equal(2);
  expect(r.stdout).to.equal('');
}

describe('hrdet CLI', function () {
  this.timeout(60_000);

  describe('--help', () => {
    it('lists every command, the global options and examples', () => {
      const r = hrdet(['--help']);
      expect(r.code).to.equal(0);
      for (const s of ['list', 'print-config', 'analyze', '--debug', '--backend <name>', '--plugin <file>', '--cfg-options', 'Examples:', '$ hrdet analyze']) {
        expect(r.stdout).to.contain(s);
      }
      expect(r.stderr).to.equal('');
    });

    for (const command of ['list', 'print-config', 'analyze']) {
      it(`hrdet ${command} --help shows its options, the global options and examples`, () => {
        const r = hrdet([command, '--help']);
        expect(r.code).to.equal(0);
        expect(r.stdout).to.contain(`Usage: hrdet ${command}`);
        expect(r.stdout).to.contain('Global Options:');
        expect(r.stdout).to.contain('--backend <name>');
        expect(r.stdout).to.match(/Examples:\n {2}\$ hrdet /);
      });
    }

    it('analyze --help states the FLOPs convention', () => {
      const r = hrdet(['analyze', '--help']);
      expect(r.stdout).to.contain("multiply-accumulates (MACs) of conv2d, conv_transpose2d, linear and matmul layers for one image (batch 1), the HRNet papers' convention");
      expect(r.stdout).to.contain('GiMACs = 2^30 MACs');
    });

    it('prints the help without arguments and the version with --version', () => {
      expect(hrdet([]).stdout).to.contain('Usage: hrdet');
      const v = hrdet(['--version']);
      expect(v.code).to.equal(0);
      expect(v.stdout.trim()).to.equal(require('../../../package.json').version);
    });
  });

  describe('list', () => {
    it('shows every registry with its built-in components', () => {
      const r = hrdet(['list']);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(/^models \(\d+\)\n/);
      expect(r.stdout).to.match(/\nbackbones \(\d+\)\n(.*\n)*? {2}HRNet +High-Resolution Network/);
      expect(r.stdout).to.match(/\nnecks \(\d+\)\n(.*\n)*? {2}HRFPN /);
    });

    it('shows one kind as JSON, also by its singular name', () => {
      const r = hrdet(['list', 'backbone', '--json']);
      expect(r.code).to.equal(0);
      const parsed = JSON.parse(r.stdout);
      expect(Object.keys(parsed)).to.deep.equal(['backbones']);
      expect(parsed.backbones.map((c: { name: string }) => c.name)).to.include.members(['HRNet', 'ResNet']);
      expect(parsed.backbones.find((c: { name: string }) => c.name === 'HRNet')).to.include({ scope: 'hrdet' });
    });

    it('shows plugin components by their scoped name, after the built-ins', () => {
      const r = hrdet(['list', 'backbones', '--plugin', 'examples/custom-backbone/tiny-convnet.ts']);
      expect(r.code, r.stderr).to.equal(0);
      const names = r.stdout.split('\n').slice(1).filter(Boolean).map((l) => l.trim().split(/\s+/)[0]);
      expect(names[names.length - 1]).to.equal('tiny-convnet.TinyConvNet');
      expect(names).to.include('HRNet');
      expect(r.stdout).to.contain('a 4-stage strided ConvNet (example plugin)');
    });
  });

  describe('print-config', () => {
    it('prints the merged config as JSON with --cfg-options applied', () => {
      const r = run(['print-config', cfg('r18.json'), '--cfg-options', 'model.backbone.depth=34', 'input_shape=[3,64,64]']);
      expect(r.code, r.stderr).to.equal(0);
      const c = JSON.parse(r.stdout);
      expect(c.model.backbone).to.deep.equal({ type: 'ResNet', depth: 34 });
      expect(c.input_shape).to.deep.equal([3, 64, 64]);
    });

    it('prints YAML', () => {
      const r = run(['print-config', cfg('r18.json'), '--format', 'yaml']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain('model:\n  type: FeaturePyramid\n  backbone:\n    type: ResNet\n    depth: 18\n');
      expect(r.stdout).to.contain('input_shape: [3, 224, 224]');
    });
  });

  describe('analyze', () => {
    it('--compare puts several configs side by side, each at its own input shape (text and JSON)', () => {
      const j = run(['analyze', '--compare', cfg('r18.json'), cfg('r18.json'), '--shape', '3,112,112', '--json']);
      expect(j.code, j.stderr).to.equal(0);
      const rows = JSON.parse(j.stdout).rows as { params: number; macs: number; input_shape: number[] }[];
      expect(rows).to.have.length(2);
      expect(rows[0].params).to.equal(R18_PARAMS);
      // each row is what a single analyze of that config at that shape counts
      const single = JSON.parse(run(['analyze', cfg('r18.json'), '--shape', '3,112,112', '--json']).stdout);
      expect(rows.map((r) => r.macs)).to.deep.equal([single.macs, single.macs]);
      expect(rows[1].input_shape).to.deep.equal([3, 112, 112]);
      const t = run(['analyze', '--compare', cfg('r18.json'), cfg('r18.json')]);
      expect(t.code, t.stderr).to.equal(0);
      expect(t.stdout.split('\n')[0]).to.match(/^config +model +input +params \(M\) +params \(2\^20\) +GMACs +GiMACs/);
      expect(t.stdout).to.include((R18_MACS / 1e9).toFixed(3));
    });

    it('counts hand-computed parameters and MACs of ResNet-18 (JSON)', () => {
      const r = run(['analyze', cfg('r18.json'), '--json', '--depth', '1']);
      expect(r.code, r.stderr).to.equal(0);
      const a = JSON.parse(r.stdout);
      expect(a).to.include({ params: R18_PARAMS, trainable_params: R18_PARAMS, macs: R18_MACS, partial: false, input_shape_source: "the config's input_shape" });
      expect(a.gmacs).to.equal(R18_MACS / 1e9);
      expect(a.gimacs).to.equal(R18_MACS / 2 ** 30);
      expect(a.input_shape).to.deep.equal([3, 224, 224]);
      expect(a.modules.map((m: { name: string }) => m.name)).to.deep.equal(['', 'backbone']);
      expect(a.outputs.map((o: { shape: number[] }) => o.shape)).to.deep.equal([
        [1, 64, 56, 56],
        [1, 128, 28, 28],
        [1, 256, 14, 14],
        [1, 512, 7, 7],
      ]);
    });

    it('prints a per-module table, both G units, the convention and where the shape came from', () => {
      const r = run(['analyze', cfg('r18.json')]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.equal('');
      expect(r.stdout).to.contain("input:  3x224x224 (C,H,W from the config's input_shape), batch 1");
      expect(r.stdout).to.match(/\n {4}backbone\.conv1 +Conv2d +9,408 +118\.0 +6\.5% +\[1, 64, 112, 112\]\n/);
      expect(r.stdout).to.contain('params: 11,176,512 = 11.177 M (1e6) = 10.66 Mi (2^20)  [trainable 11,176,512, frozen 0]');
      expect(r.stdout).to.contain('MACs:   1,813,561,344 = 1.814 GMACs (1e9) = 1.689 GiMACs (2^30)');
      expect(r.stdout).to.contain("the HRNet papers' convention");
      expect(r.stdout).to.contain('buffers (BN running statistics) excluded');
    });

    it('takes --shape over the config and falls back to 3,224,224', () => {
      const a = JSON.parse(run(['analyze', cfg('r18.json'), '--shape', '3,448,448', '--json', '--depth', '0']).stdout);
      expect(a).to.include({ macs: R18_MACS * 4, input_shape_source: '--shape' });
      const b = JSON.parse(run(['analyze', cfg('r18_noshape.json'), '--json', '--depth', '0']).stdout);
      expect(b.input_shape).to.deep.equal([3, 224, 224]);
      expect(b.input_shape_source).to.equal('the default; the config has no input_shape');
      expect(b.macs).to.equal(R18_MACS);
    });

    it('applies --cfg-options before building', () => {
      const a = JSON.parse(run(['analyze', cfg('r18.json'), '--json', '--depth', '0', '--cfg-options', 'input_shape=[3,448,448]']).stdout);
      expect(a.macs).to.equal(R18_MACS * 4);
    });

    it('analyses a model whose backbone comes from a plugin (custom_imports)', () => {
      const r = hrdet(['analyze', 'examples/custom-backbone/config.json', '--json', '--depth', '1']);
      expect(r.code, r.stderr).to.equal(0);
      const a = JSON.parse(r.stdout);
      expect(a.modules.find((m: { name: string }) => m.name === 'backbone').type).to.equal('TinyConvNet');
      expect(a.macs).to.be.greaterThan(0);
    });
  });

  describe('errors: one line, exit code 2, no stack trace', () => {
    const cases: { name: string; args: string[]; message: string; env?: Record<string, string> }[] = [
      { name: 'unknown command', args: ['lst'], message: "unknown command 'lst' (Did you mean list?)" },
      { name: 'unknown command option', args: ['analyze', 'r18.json', '--shap', '3,4,5'], message: "unknown option '--shap' (Did you mean --shape?)" },
      { name: 'missing config argument', args: ['analyze'], message: "missing required argument 'config'" },
      { name: 'too many arguments', args: ['analyze', 'a.json', 'b.json'], message: "too many arguments for 'analyze'. Expected 1 argument but got 2. (Give --compare to put several configs side by side.)" },
      { name: 'missing config file (analyze)', args: ['analyze', 'nope.json'], message: 'nope.json: no such config file' },
      { name: 'missing config file (print-config)', args: ['print-config', 'nope.json'], message: 'nope.json: no such config file' },
      { name: 'bad --shape (two numbers)', args: ['analyze', 'r18.json', '--shape', '3,256'], message: "option '--shape <C,H,W>' argument '3,256' is invalid. Expected three positive integers C,H,W, e.g. 3,256,192." },
      { name: 'bad --shape (zero)', args: ['analyze', 'r18.json', '--shape', '3,0,5'], message: "option '--shape <C,H,W>' argument '3,0,5' is invalid. Expected three positive integers C,H,W, e.g. 3,256,192." },
      { name: 'bad --depth', args: ['analyze', 'r18.json', '--depth', 'x'], message: "option '--depth <N>' argument 'x' is invalid. Expected a non-negative integer." },
      { name: 'unknown backend', args: ['analyze', 'r18.json', '--backend', 'foo'], message: "option '--backend <name>' argument 'foo' is invalid. Allowed choices are tensorflow, wasm, cpu." },
      { name: 'unknown backend from HRDET_BACKEND', args: ['list'], env: { HRDET_BACKEND: 'gpu' }, message: "option '--backend <name>' value 'gpu' from env 'HRDET_BACKEND' is invalid. Allowed choices are tensorflow, wasm, cpu." },
      { name: '--cfg-options without =', args: ['analyze', 'r18.json', '--cfg-options', 'model.backbone.depth'], message: "--cfg-options: expected key=value, got 'model.backbone.depth'" },
      { name: '--cfg-options with an unclosed list', args: ['print-config', 'r18.json', '--cfg-options', 'input_shape=[3,4'], message: "--cfg-options: input_shape: unclosed '[' in '[3,4'" },
      { name: '--cfg-options with a bad value', args: ['analyze', 'r18.json', '--cfg-options', 'model.backbone.depth=19'], message: '--cfg-options: model.backbone.depth: expected one of 18, 34, 50, 101, 152, got 19' },
      { name: 'config with an unknown type', args: ['analyze', 'unknown_type.json'], message: "unknown_type.json: model.backbone.type: unknown backbone type 'HRNett'; did you mean 'HRNet'? (see `hrdet list backbones`)" },
      { name: 'config with a bad option value', args: ['analyze', 'bad_value.json'], message: 'bad_value.json: model.backbone.depth: expected number, got string' },
      { name: 'config with a bad input_shape', args: ['analyze', 'bad_input_shape.json'], message: 'bad_input_shape.json: input_shape: expected [C, H, W] (three positive integers), got [3,64]' },
      { name: 'config that is not valid JSON', args: ['print-config', 'broken.json'], message: "broken.json: invalid JSON at line 2, column 1: expected ',' or '}' after a value, found the end of the file" },
      { name: 'config without a model', args: ['analyze', 'no_model.json'], message: "no_model.json: model: the config has no 'model' section" },
      { name: 'plugin file missing', args: ['analyze', 'r18.json', '--plugin', 'nope.js'], message: "--plugin: cannot find plugin 'nope.js' (no such file nope.js)" },
      { name: 'plugin file missing (list)', args: ['list', '--plugin', 'nope.js'], message: "--plugin: cannot find plugin 'nope.js' (no such file nope.js)" },
      { name: 'unknown component kind', args: ['list', 'bakbones'], message: "unknown component kind 'bakbones': did you mean 'backbones'? expected one of models, backbones, necks, heads, losses, task_utils, keypoint_codecs, weight_initializers, datasets, transforms, data_samplers, metrics, hooks, loops, optimizers, schedulers" },
      { name: 'unknown print format', args: ['print-config', 'r18.json', '--format', 'xml'], message: "option '--format <format>' argument 'xml' is invalid. Allowed choices are json, yaml, py." },
      { name: 'input with the wrong channel count', args: ['analyze', 'r18.json', '--shape', '1,64,64'], message: 'r18.json: cannot analyse with input 1x64x64 (from --shape): the input has 1 channels but the model expects 3' },
    ];
    // independent runs: start them all up front, two at a time
    let results: CliResult[] = [];
    before(async () => {
      results = await pool(cases.map((c) => () => hrdetAsync(c.args, { cwd: dir, env: c.env })));
    });
    cases.forEach((c, i) => it(c.name, () => expectUserError(results[i], c.message)));

    it('--debug adds the stack trace to a user error', () => {
      const r = run(['analyze', 'unknown_type.json', '--debug']);
      expect(r.code).to.equal(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).to.equal("hrdet: error: unknown_type.json: model.backbone.type: unknown backbone type 'HRNett'; did you mean 'HRNet'? (see `hrdet list backbones`)");
      expect(lines[1]).to.match(/^ConfigError: /);
      expect(lines[2]).to.match(/^ {4}at /);
    });
  });

  describe('errors that are not the user\'s: exit code 1', () => {
    it('prints the message (with the module that failed) and how to get the stack trace', () => {
      const r = run(['analyze', 'boom.json', '--plugin', './boom.js']);
      expect(r.stderr).to.equal('hrdet: error: backbone: kaboom (run with --debug for the stack trace)\n');
      expect(r.code).to.equal(1);
    });

    it('prints the stack trace with --debug', () => {
      const r = run(['analyze', 'boom.json', '--plugin', './boom.js', '--debug']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/^hrdet: error: backbone: kaboom\nError: backbone: kaboom\n {4}at /);
      expect(r.stderr).to.contain('caused by: TypeError: kaboom');
    });
  });
});
