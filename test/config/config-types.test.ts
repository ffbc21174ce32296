import { expect } from 'chai';
import * as path from 'node:path';
import * as ts from 'typescript';
import { fixtureDir, removeFixtureDirs, writeFixtures } from './fixture-dir';

const SRC_CONFIG = path.resolve(__dirname, '../../../src/config');
const ZOD = path.dirname(require.resolve('zod/package.json'));

/**
 * TS configs are typed: type-check sample configs with the TypeScript compiler against
 * src/config's types, with components declared the way component files declare theirs.
 */
describe('config types (defineConfig in TS configs)', function () {
  this.timeout(30000);
  after(removeFixtureDirs);

  let diagnostics: Map<string, string[]>;

  before(() => {
    const dir = fixtureDir({});
    const rel = (p: string) => JSON.stringify(path.relative(dir, p).split(path.sep).join('/'));
    const header = `import { defineConfig } from ${rel(path.join(SRC_CONFIG, 'define-config'))};\nimport './components';\n`;
    const samples: Record<string, string> = {
      'good.ts': `export default defineConfig({
        model: {
          type: 'TestDetector',
          backbone: { type: 'TestNet', depth: 50, style: 'caffe' },
          neck: { type: 'TestNeck', out_channels: 256 },
          rpn_head: { type: 'TestHead', num_classes: 1 },
        },
        custom_imports: { imports: ['./my_plugin.ts'] },
        train_dataloader: { batch_size: 2, dataset: { type: 'CocoDataset' } },
        data_root: 'data/coco/',
      });`,
      'good-override.ts': `export default defineConfig({ _base_: './good.ts', model: { backbone: { depth: 101 } } });`,
      'good-scoped.ts': `export default defineConfig({ model: { type: 'TestDetector', backbone: { type: 'my_plugin.MyNet', anything: [1] } } });`,
      'good-function.ts': `export default defineConfig(({ base }) => ({ _base_: './good.ts', model: { backbone: { depth: base.model.backbone.depth } } }));`,
      'bad-name.ts': `export default defineConfig({ model: { type: 'TestDetector', backbone: { type: 'TestNet', depht: 50 } } });`,
      'bad-type.ts': `export default defineConfig({ model: { type: 'TestDetector', backbone: { type: 'TestNet', depth: '50' } } });`,
      'bad-enum.ts': `export default defineConfig({ model: { type: 'TestDetector', backbone: { type: 'TestNet', depth: 50, style: 'tf' } } });`,
      'bad-missing.ts': `export default defineConfig({ model: { type: 'TestDetector', backbone: { type: 'TestNet' } } });`,
      'bad-component.ts': `export default defineConfig({ model: { type: 'TestDetector', backbone: { type: 'TestNett', depth: 50 } } });`,
      'bad-head.ts': `export default defineConfig({ model: { type: 'TestDetector', backbone: { type: 'TestNet', depth: 50 }, rpn_head: { type: 'TestHead', num_class: 1 } } });`,
      'bad-override.ts': `export default defineConfig({ _base_: './good.ts', model: { backbone: { depht: 101 } } });`,
    };
    writeFixtures(dir, {
      'components.ts': `import { z } from ${JSON.stringify(ZOD)};
const testNetOptions = z.object({ depth: z.number().int(), style: z.enum(['pytorch', 'caffe']).default('pytorch') }).strict();
declare module ${rel(path.join(SRC_CONFIG, 'config-types'))} {
  interface BackboneOptionsMap { TestNet: z.input<typeof testNetOptions> }
  interface NeckOptionsMap { TestNeck: { in_channels?: number[]; out_channels: number } }
  interface HeadOptionsMap { TestHead: { num_classes: number } }
  interface ModelOptionsMap { TestDetector: { backbone: Record<string, unknown>; neck?: Record<string, unknown>; rpn_head?: Record<string, unknown> } }
}
export {};
`,
      ...Object.fromEntries(Object.entries(samples).map(([name, text]) => [name, header + text])),
    });
    const program = ts.createProgram(
      Object.keys(samples).map((n) => path.join(dir, n)),
      { strict: true, noEmit: true, skipLibCheck: true, types: [], lib: ['lib.es2022.d.ts'], module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 },
    );
    diagnostics = new Map();
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const name = d.file ? path.relative(dir, d.file.fileName) : '(global)';
      diagnostics.set(name, [...(diagnostics.get(name) ?? []), ts.flattenDiagnosticMessageText(d.messageText, '\n')]);
    }
  });

  for (const good of ['good.ts', 'good-override.ts', 'good-scoped.ts', 'good-function.ts']) {
    it(`accepts ${good}`, () => {
      expect(diagnostics.get(good) ?? [], [...diagnostics].join('\n')).to.deep.equal([]);
      expect(diagnostics.has('(global)') || diagnostics.has('components.ts'), [...diagnostics].join('\n')).to.equal(false);
    });
  }

  const bad: Array<[string, RegExp]> = [
    ['bad-name.ts', /'depht' does not exist/],
    ['bad-type.ts', /Type 'string' is not assignable to type 'number'/],
    ['bad-enum.ts', /'"tf"' is not assignable to type '"pytorch" \| "caffe"/],
    ['bad-missing.ts', /Property 'depth' is missing/],
    ['bad-component.ts', /'"TestNett"' is not assignable/],
    ['bad-head.ts', /'num_class' does not exist/],
    ['bad-override.ts', /depht/],
  ];
  for (const [file, pattern] of bad) {
    it(`reports ${file}`, () => {
      const messages = diagnostics.get(file) ?? [];
      expect(messages.join("\n"), messages.join("\n")).to.match(pattern);
    });
  }
});
