/** Services come from the container: a plugin can rebind one and hrdet uses it. */
import { expect } from 'chai';
import * as path from 'node:path';
import { buildModel } from '../../src/apis/build-model';
import { defaultContainer } from '../../src/registry/container';
import { SERVICES } from '../../src/registry/services';
import { fixtureDir, removeFixtureDirs } from '../config/fixture-dir';

const PLUGIN = `
import { defaultContainer, SERVICES } from 'hrdet';
const reads: string[] = ((globalThis as any).__pluginCheckpointReads = []);
const io = { loadStateDict: async (file: string) => { reads.push(file); return new Map(); } };
const c = defaultContainer();
if (c.isBound(SERVICES.CheckpointIO)) c.rebind(SERVICES.CheckpointIO).toConstantValue(io);
else c.bind(SERVICES.CheckpointIO).toConstantValue(io);
const logged: string[] = ((globalThis as any).__pluginLog = []);
const logger = { info: (m: string) => logged.push(m), warn: (m: string) => logged.push('warning: ' + m), debug: () => {} };
c.rebind(SERVICES.Logger).toConstantValue(logger);
`;

describe('registry: services from the container', () => {
  after(() => {
    removeFixtureDirs();
    const c = defaultContainer();
    if (c.isBound(SERVICES.CheckpointIO)) c.unbind(SERVICES.CheckpointIO);
  });

  it("a plugin that rebinds the checkpoint reader and the logger sees them used by buildModel's Pretrained init", async () => {
    const before = defaultContainer().get(SERVICES.Logger);
    try {
      const dir = fixtureDir({
        'plugin.ts': PLUGIN,
        'cfg.json': {
          custom_imports: { imports: ['./plugin.ts'] },
          model: {
            type: 'FeaturePyramid',
            backbone: { type: 'ResNet', depth: 18, base_channels: 4, init_cfg: { type: 'Pretrained', checkpoint: 'r18.pth' } },
          },
        },
      });
      await buildModel(path.join(dir, 'cfg.json'));
      const g = globalThis as unknown as { __pluginCheckpointReads: string[]; __pluginLog: string[] };
      expect(g.__pluginCheckpointReads.map((f) => path.basename(f))).to.deep.equal(['r18.pth']);
      expect(g.__pluginLog.join('\n')).to.match(/r18\.pth/);
    } finally {
      defaultContainer().rebind(SERVICES.Logger).toConstantValue(before);
    }
  });
});
