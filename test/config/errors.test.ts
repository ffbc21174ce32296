import { expect } from 'chai';
import * as path from 'node:path';
import { z } from 'zod';
import { buildFromConfig } from '../../src/config/build-from-config';
import { parseCfgOptions } from '../../src/config/cfg-options';
import { loadConfig } from '../../src/config/load-config';
import { loadPlugins } from '../../src/config/plugins';
import { ConfigError } from '../../src/core/errors';
import { createContainer } from '../../src/registry/container';
import { Registry } from '../../src/registry/registry';
import { SilentLogger } from '../../src/registry/services';
import * as fs from 'node:fs';
import { errorOf, ownFixtureDir } from './fixture-dir';

/** A registry of its own: two backbones with a required option, an enum and a default. */
const BACKBONES = new Registry<object>('backbone');
BACKBONES.register(z.object({ width: z.number().int().default(18) }).strict(), (o) => o, { name: 'HRNet' });
BACKBONES.register(
  z.object({ depth: z.number().int(), style: z.enum(['pytorch', 'caffe']).default('pytorch') }).strict(),
  (o) => o,
  { name: 'StrictNet' },
);
const container = createContainer({ logger: new SilentLogger() });

/**
 * Every bad config must fail with a ConfigError of exactly one line naming the file, the
 * config path and what was expected.
 */
describe('config errors (one line: file, path, expectation)', () => {
  // made now, as the expected messages name its files; removed by this suite alone
  const dir = ownFixtureDir({
    'base.json': { model: { type: 'M', backbone: { type: 'HRNet', width: 32, extra: { stage4: { n: 4 } } } }, pipeline: [{ type: 'A' }, { type: 'B' }], name: 'b' },
    'trailing-comma.json': '{\n  "model": {"type": "M"},\n}\n',
    'bare-word.json': '{"model": {"norm_eval": tru}}',
    'unterminated.json': '{\n  "work_dir": "abc\n}\n',
    'bad-indent.yaml': 'model:\n  type: M\n   depth: 50\n',
    'unclosed-flow.yaml': 'out_indices: [0, 1\nfoo: 2\n',
    'list.json': '[1, 2]',
    'cfg.txt': 'a = 1',
    'missing-base.json': { _base_: './nope.json' },
    'bad-base-entry.json': { _base_: ['./base.json', 5] },
    'bad-base-type.json': { _base_: { file: 'base.json' } },
    'cycle-a.json': { _base_: './cycle-b.yaml', a: 1 },
    'cycle-b.yaml': '_base_: cycle-a.json\nb: 2\n',
    'self.json': { _base_: 'self.json' },
    'model1.json': { model: { type: 'A' } },
    'model2.json': { model: { type: 'B' } },
    'dup-bases.json': { _base_: ['model1.json', 'model2.json'] },
    'obj-into-list.json': { _base_: 'base.json', pipeline: { type: 'C' } },
    'bad-delete.json': { _base_: 'base.json', model: { _delete_: 'yes', type: 'N' } },
    'missing-ref.json': '{"_base_": "base.json", "model": {"neck": {"in": {{_base_.model.backbone.extra.stage5}}}}}',
    'ref-no-base.yaml': 'a: {{_base_.x}}\n',
    'ref-in-string.json': { _base_: 'base.json', work_dir: 'w/{{_base_.name}}' },
    'typo-type.json': { _base_: 'base.json', model: { backbone: { type: 'HRNett' } } },
    'wrong-type.yaml': '_base_: base.json\nmodel:\n  backbone:\n    width: "18"\n',
    'unknown-key.json': { model: { backbone: { type: 'HRNet', widht: 18 } } },
    'missing-option.json': { model: { backbone: { type: 'StrictNet', style: 'caffe' } } },
    'bad-enum.json': { model: { backbone: { type: 'StrictNet', depth: 50, style: 'tf' } } },
    'bad-base-value.json': { _base_: 'base.json', name: 'child' },
    'base-bad.json': { model: { backbone: { type: 'HRNet', width: 'wide' } } },
    'child-of-bad.json': { _base_: 'base-bad.json', model: { neck: { type: 'N' } } },
    'not-object.js': 'module.exports = 5;\n',
    'throws.js': "throw new Error('DATA_ROOT is not set');\n",
    'fn-throws.ts': 'export default () => { throw new TypeError("no base"); };\n',
    'syntax.ts': 'export default {\n  a: 1,,\n};\n',
    'plugins/bad.ts': "throw new Error('widths must be positive');\n",
    'plugins/syntax.ts': 'const x = ;\n',
    'plugins/dotted.ts': "export const scope = 'my.scope';\n",
    'plugins/dup.ts':
      `import { Registry } from ${JSON.stringify(path.resolve(__dirname, '../../src/registry/registry'))};\n` +
      "const r = new Registry('backbone');\nr.register({} as any, () => 1, { name: 'X' });\nr.register({} as any, () => 1, { name: 'X' });\n",
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = (name: string) => path.join(dir, name);
  const load = (name: string, cfgOptions?: string[]) => () => loadConfig(f(name), { cfgOptions });
  const build = (name: string, cfgOptions?: string[]) => () => buildFromConfig(BACKBONES, loadConfig(f(name), { cfgOptions }), 'model.backbone', { container });
  const plugins = (imports: unknown, extra?: string[]) => () => loadPlugins({ custom_imports: imports as object }, { file: f('base.json'), extra });

  const cases: Array<[string, () => unknown, string]> = [
    ['missing file', load('nope.json'), `${f('nope.json')}: no such config file`],
    ['unsupported format', load('cfg.txt'), `${f('cfg.txt')}: unsupported config format '.txt': expected one of .json, .yaml, .yml, .js, .cjs, .mjs, .ts, .cts, .mts`],
    ['JSON trailing comma', load('trailing-comma.json'), `${f('trailing-comma.json')}: invalid JSON at line 3, column 1: expected a double-quoted key, found '}'`],
    ['JSON bare word', load('bare-word.json'), `${f('bare-word.json')}: invalid JSON at line 1, column 25: unexpected 'tru' (strings need double quotes)`],
    ['JSON unterminated string', load('unterminated.json'), `${f('unterminated.json')}: invalid JSON at line 2, column 19: line break inside a string (missing closing quote?)`],
    ['YAML bad indentation', load('bad-indent.yaml'), `${f('bad-indent.yaml')}: invalid YAML at line 3, column 9: bad indentation of a mapping entry`],
    ['YAML unclosed flow list', load('unclosed-flow.yaml'), `${f('unclosed-flow.yaml')}: invalid YAML at line 2, column 1: deficient indentation`],
    ['top level not a mapping', load('list.json'), `${f('list.json')}: expected a mapping of config keys at the top level, got a list of 2`],
    ['bad _base_ path', load('missing-base.json'), `${f('missing-base.json')}: _base_: no such file './nope.json' (looked for ${f('nope.json')})`],
    ['bad _base_ entry', load('bad-base-entry.json'), `${f('bad-base-entry.json')}: _base_.1: expected a config file path, got number 5`],
    ['bad _base_ type', load('bad-base-type.json'), `${f('bad-base-type.json')}: _base_: expected a config file path or a list of them, got an object`],
    ['_base_ cycle', load('cycle-a.json'), `${f('cycle-b.yaml')}: _base_: circular _base_ chain: ${f('cycle-a.json')} -> ${f('cycle-b.yaml')} -> ${f('cycle-a.json')}`],
    ['_base_ of itself', load('self.json'), `${f('self.json')}: _base_: circular _base_ chain: ${f('self.json')} -> ${f('self.json')}`],
    [
      'bases sharing a key',
      load('dup-bases.json'),
      `${f('dup-bases.json')}: _base_.1: 'model' is defined by both ${f('model1.json')} and ${f('model2.json')}; the files a _base_ lists must not share top-level keys`,
    ],
    ['object over a base list', load('obj-into-list.json'), `${f('obj-into-list.json')}: pipeline: an object cannot be merged into a list of 2 (set in ${f('base.json')}); add "_delete_": true to replace it`],
    ['non-boolean _delete_', load('bad-delete.json'), `${f('bad-delete.json')}: model._delete_: expected true or false, got 'yes'`],
    [
      'reference to a missing base key',
      load('missing-ref.json'),
      `${f('missing-ref.json')}: model.neck.in: {{_base_.model.backbone.extra.stage5}}: the base config has no 'model.backbone.extra.stage5'; did you mean 'model.backbone.extra.stage4'?`,
    ],
    ['reference without _base_', load('ref-no-base.yaml'), `${f('ref-no-base.yaml')}: a: {{_base_.x}} refers to a base config, but this file has no _base_`],
    ['reference inside a string', load('ref-in-string.json'), `${f('ref-in-string.json')}: work_dir: {{_base_.name}} must be the whole value, not part of the string 'w/{{_base_.name}}'`],
    ['cfg-option without =', () => parseCfgOptions(['model.depth']), `--cfg-options: expected key=value, got 'model.depth'`],
    ['cfg-option bad key', () => parseCfgOptions(['model..depth=1']), `--cfg-options: bad key 'model..depth' in 'model..depth=1': expected a dotted path such as model.backbone.depth`],
    ['cfg-option unclosed bracket', () => parseCfgOptions(['out=[1,2']), `--cfg-options: out: unclosed '[' in '[1,2'`],
    ['cfg-option stray bracket', () => parseCfgOptions(['out=(1,2]']), `--cfg-options: out: unbalanced ']' in '(1,2]'`],
    ['cfg-option unclosed quote', () => parseCfgOptions(['name="abc']), `--cfg-options: name: unclosed " quote in '"abc'`],
    [
      'cfg-option index out of range',
      load('base.json', ['pipeline.5.scale=1']),
      `${f('base.json')}: pipeline.5: --cfg-options pipeline.5.scale: index 5 is past the end of the list (2 items)`,
    ],
    [
      'cfg-option key into a list',
      load('base.json', ['pipeline.type=C']),
      `${f('base.json')}: pipeline: --cfg-options pipeline.type: this is a list of 2, expected an index 0..1 instead of 'type'`,
    ],
    ['cfg-option inside a value', load('base.json', ['name.first=x']), `${f('base.json')}: name: --cfg-options name.first: cannot set 'first' inside 'b'`],
    [
      'unknown type, with suggestion',
      build('typo-type.json'),
      `${f('typo-type.json')}: model.backbone.type: unknown backbone type 'HRNett'; did you mean 'HRNet'? (see \`hrdet list backbones\`)`,
    ],
    ['wrong option type', build('wrong-type.yaml'), `${f('wrong-type.yaml')}: model.backbone.width: expected number, got string`],
    ['wrong option type in a base file', build('child-of-bad.json'), `${f('base-bad.json')}: model.backbone.width: expected number, got string`],
    ['wrong option type from --cfg-options', build('bad-base-value.json', ['model.backbone.width=1.5']), `--cfg-options: model.backbone.width: expected integer, got float`],
    ['unknown option key', build('unknown-key.json'), `${f('unknown-key.json')}: model.backbone: HRNet has no option 'widht'`],
    ['missing required option', build('missing-option.json'), `${f('missing-option.json')}: model.backbone.depth: StrictNet needs this option (number)`],
    ['bad enum value', build('bad-enum.json'), `${f('bad-enum.json')}: model.backbone.style: expected one of "pytorch", "caffe", got "tf"`],
    ['JS config exporting no object', load('not-object.js'), `${f('not-object.js')}: expected the module to export a config object or a function returning one, got number 5`],
    ['JS config throwing', load('throws.js'), `${f('throws.js')}: failed to evaluate the config module: DATA_ROOT is not set`],
    ['TS config function throwing', load('fn-throws.ts'), `${f('fn-throws.ts')}: the config function failed: TypeError: no base`],
    ['TS config syntax error', load('syntax.ts'), `${f('syntax.ts')}: line 2, column 8: syntax error: Property assignment expected.`],
    ['plugin file missing', plugins({ imports: ['./plugins/nope.ts'] }), `${f('base.json')}: custom_imports.imports.0: cannot find plugin './plugins/nope.ts' (no such file ${f('plugins/nope.ts')})`],
    [
      'plugin package missing',
      plugins({ imports: 'mmdet.models' }),
      `${f('base.json')}: custom_imports.imports: cannot find plugin 'mmdet.models' (neither a file in ${dir} nor an installed package)`,
    ],
    ['plugin throwing', plugins({ imports: ['./plugins/bad.ts'] }), `${f('base.json')}: custom_imports.imports.0: plugin './plugins/bad.ts' failed to load: widths must be positive`],
    [
      'plugin with a syntax error',
      plugins({ imports: ['./plugins/syntax.ts'] }),
      `${f('base.json')}: custom_imports.imports.0: plugin './plugins/syntax.ts' failed to load: ConfigError: ${f('plugins/syntax.ts')}: line 1, column 11: syntax error: Expression expected.`,
    ],
    [
      'plugin registering a name twice',
      plugins({ imports: ['./plugins/dup.ts'] }),
      `${f('base.json')}: custom_imports.imports.0: plugin './plugins/dup.ts' failed to load: backbone 'dup.X' is already registered (pass force: true to replace it)`,
    ],
    [
      'plugin with a bad scope',
      plugins({ imports: ['./plugins/dotted.ts'] }),
      `${f('base.json')}: custom_imports.imports.0: plugin './plugins/dotted.ts' declares scope 'my.scope': a scope is letters, digits, '_' and '-', not starting with a digit, and not 'hrdet'`,
    ],
    ['--plugin missing', plugins(undefined, [f('plugins/gone.ts')]), `--plugin: cannot find plugin '${f('plugins/gone.ts')}' (no such file ${f('plugins/gone.ts')})`],
    [
      'custom_imports not an object',
      plugins(['./plugins/bad.ts']),
      `${f('base.json')}: custom_imports: expected {imports: [module paths], allow_failed_imports?: true|false}, got a list of 1`,
    ],
    [
      'custom_imports unknown key',
      plugins({ import: ['./plugins/bad.ts'] }),
      `${f('base.json')}: custom_imports: has no option 'import' (expected {imports: [module paths], allow_failed_imports?: true|false})`,
    ],
    ['custom_imports bad flag', plugins({ imports: [], allow_failed_imports: 'no' }), `${f('base.json')}: custom_imports.allow_failed_imports: expected true or false, got 'no'`],
  ];

  for (const [name, fn, message] of cases) {
    it(name, () => {
      const err = errorOf(fn);
      expect(err, err.stack).to.be.instanceOf(ConfigError);
      expect(err.message).to.equal(message);
      expect(err.message).not.to.include('\n');
    });
  }
});
