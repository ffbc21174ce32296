import { expect } from 'chai';
import * as path from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { loadPlugins } from '../../src/config/plugins';
import { createContainer, build } from '../../src/registry/container';
import * as registryModule from '../../src/registry/registry';
import { SilentLogger } from '../../src/registry/services';
import { fixtureDir, removeFixtureDirs } from './fixture-dir';
import { TEST_BACKBONES } from './test-registry';

const REGISTRY_JS = JSON.stringify(path.join(__dirname, 'test-registry'));
const container = createContainer({ logger: new SilentLogger() });
const buildBackbone = (cfg: object) => build(TEST_BACKBONES, cfg, { path: 'model.backbone', container });

/** Plugin source registering `name` into the test registry (TypeScript). */
const tsPlugin = (name: string, extra = '') =>
  `import { TEST_BACKBONES, z } from ${REGISTRY_JS};\n${extra}\n` +
  `TEST_BACKBONES.register(z.object({ depth: z.number() }).strict(), (o: unknown) => ({ kind: 'plugin ${name}', options: o }), { name: '${name}' });\n`;

describe('config/loadPlugins', () => {
  after(removeFixtureDirs);

  it("registers a custom_imports plugin in its file's scope; bare names still reach built-ins first", () => {
    const dir = fixtureDir({ 'configs/cfg.json': {}, 'configs/plugins/my_hrnet.ts': tsPlugin('HRNet') });
    const cfg = { custom_imports: { imports: ['./plugins/my_hrnet.ts'], allow_failed_imports: false } };
    const loaded = loadPlugins(cfg, { file: path.join(dir, 'configs/cfg.json') });
    expect(loaded).to.deep.equal([
      { request: './plugins/my_hrnet.ts', file: path.join(dir, 'configs/plugins/my_hrnet.ts'), scope: 'my_hrnet', loadedNow: true },
    ]);
    expect(buildBackbone({ type: 'HRNet' })).to.deep.equal({ kind: 'builtin HRNet', options: { width: 18 } });
    expect(buildBackbone({ type: 'my_hrnet.HRNet', depth: 3 })).to.deep.equal({ kind: 'plugin HRNet', options: { depth: 3 } });
  });

  it('loads a plugin once however often it is named (no double registration)', () => {
    const dir = fixtureDir({ 'cfg.json': {}, 'once_net.ts': tsPlugin('OnceNet') });
    const file = path.join(dir, 'cfg.json');
    const count = () => TEST_BACKBONES.list().length;
    const first = loadPlugins({ custom_imports: { imports: ['./once_net.ts', './once_net'] } }, { file });
    const n = count();
    const again = loadPlugins({ custom_imports: { imports: 'once_net.ts' } }, { file, extra: [path.join(dir, 'once_net.ts')] });
    expect(first.map((p) => p.loadedNow)).to.deep.equal([true, false]);
    expect(again.map((p) => [p.scope, p.loadedNow])).to.deep.equal([
      ['once_net', false],
      ['once_net', false],
    ]);
    expect(count()).to.equal(n);
    // no built-in OnceNet: the bare name reaches the plugin's
    expect(buildBackbone({ type: 'OnceNet', depth: 1 })).to.deep.equal({ kind: 'plugin OnceNet', options: { depth: 1 } });
  });

  it('takes --plugin paths relative to the working directory', () => {
    const dir = fixtureDir({ 'cli_net.ts': tsPlugin('CliNet') });
    const rel = path.relative(process.cwd(), path.join(dir, 'cli_net.ts'));
    const [p] = loadPlugins(undefined, { extra: [rel] });
    expect([p.scope, p.loadedNow]).to.deep.equal(['cli_net', true]);
    expect(TEST_BACKBONES.has('cli_net.CliNet')).to.equal(true);
  });

  it('honours export const scope, and names an index file after its directory', () => {
    const dir = fixtureDir({
      'explicit.ts': tsPlugin('ExplicitNet', "export const scope = 'acme';"),
      'fancy/index.ts': tsPlugin('FancyNet', "import './helper';"),
      'fancy/helper.ts': 'export const helper = 1;\n',
    });
    const loaded = loadPlugins({ custom_imports: { imports: ['./explicit.ts', './fancy'] } }, { baseDir: dir });
    expect(loaded.map((p) => p.scope)).to.deep.equal(['acme', 'fancy']);
    expect(TEST_BACKBONES.has('acme.ExplicitNet')).to.equal(true);
    expect(TEST_BACKBONES.has('fancy.FancyNet')).to.equal(true);
  });

  it("resolves an installed package from the config's directory and scopes it by package name", () => {
    const dir = fixtureDir({
      'node_modules/@acme/hrdet-widgets/package.json': { name: '@acme/hrdet-widgets', main: 'lib/main.js' },
      'node_modules/@acme/hrdet-widgets/lib/main.js':
        `const { TEST_BACKBONES, z } = require(${REGISTRY_JS});\n` +
        "TEST_BACKBONES.register(z.object({}).strict(), () => ({ kind: 'widget' }), { name: 'WidgetNet' });\n",
      'cfg.json': {},
    });
    const [p] = loadPlugins({ custom_imports: { imports: ['@acme/hrdet-widgets'] } }, { file: path.join(dir, 'cfg.json') });
    expect(p.scope).to.equal('hrdet-widgets');
    expect(TEST_BACKBONES.has('hrdet-widgets.WidgetNet')).to.equal(true);
  });

  it("gives a plugin hrdet's own loaded modules, whose components stay built-ins", () => {
    // hrdet/<path> reaches any file of the package: here a test module that registers on load
    const late = path.relative(path.resolve(__dirname, '../../..'), path.join(__dirname, 'late-builtin')).split(path.sep).join('/');
    const dir = fixtureDir({
      'probe.ts': [
        "import * as registry from 'hrdet/registry/registry';",
        `import 'hrdet/${late}';`,
        'export const registryModule = registry;',
      ].join('\n'),
    });
    const [p] = loadPlugins(undefined, { extra: [path.join(dir, 'probe.ts')] });
    expect(require(p.file).registryModule).to.equal(registryModule);
    expect(TEST_BACKBONES.resolve('LateNet', 'model.backbone').scope).to.equal('hrdet');
  });

  it("resolves a plugin's `hrdet` to this package's index, even with another copy installed beside it", function () {
    this.timeout(20000);
    const dir = fixtureDir({
      'index_probe.js': "exports.hrdet = require('hrdet');\n",
      'node_modules/hrdet/package.json': { name: 'hrdet', main: 'index.js' },
      'node_modules/hrdet/index.js': 'exports.otherCopy = true;\n',
    });
    const [p] = loadPlugins(undefined, { extra: [path.join(dir, 'index_probe.js')] });
    expect(require(p.file).hrdet).to.equal(require('../../src/index'));
  });

  it('resolves custom_imports written in a base file relative to that file', () => {
    const dir = fixtureDir({
      'shared/_base_.json': { custom_imports: { imports: ['./based_net.ts'] } },
      'shared/based_net.ts': tsPlugin('BasedNet'),
      'project/cfg.json': { _base_: '../shared/_base_.json' },
    });
    const cfgFile = path.join(dir, 'project/cfg.json');
    const [p] = loadPlugins(loadConfig(cfgFile).config, { file: cfgFile, baseDir: path.dirname(cfgFile) });
    expect(p.file).to.equal(path.join(dir, 'shared/based_net.ts'));
    const missing = fixtureDir({ 'b/base.json': { custom_imports: { imports: ['./gone.ts'] } }, 'cfg.json': { _base_: 'b/base.json' } });
    expect(() => loadPlugins(loadConfig(path.join(missing, 'cfg.json')).config, { file: path.join(missing, 'cfg.json') })).to.throw(
      `${path.join(missing, 'b/base.json')}: custom_imports.imports.0: cannot find plugin './gone.ts' (no such file ${path.join(missing, 'b/gone.ts')})`,
    );
  });

  it('allow_failed_imports skips a missing plugin with a warning', () => {
    const dir = fixtureDir({ 'cfg.json': {} });
    const logger = new SilentLogger();
    const cfgFile = path.join(dir, 'cfg.json');
    const loaded = loadPlugins({ custom_imports: { imports: ['./gone.ts'], allow_failed_imports: true } }, { file: cfgFile, logger });
    expect(loaded).to.deep.equal([]);
    expect(logger.messages).to.deep.equal([
      `warning: ${cfgFile}: custom_imports.imports.0: plugin './gone.ts' not found, skipped (allow_failed_imports)`,
    ]);
  });
});
