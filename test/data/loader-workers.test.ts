import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { makeSyntheticDataset } from '../../src/apis/make-dataset';
import { loadPlugins } from '../../src/config';
import { FileError } from '../../src/core/errors';
import { buildDataLoader, type DataLoader } from '../../src/data/loader';
import { TRANSFORMS } from '../../src/registry/registries';
import { SilentLogger, type Progress } from '../../src/registry/services';
import { Boxes } from '../../src/structures/boxes';
import { DetDataSample } from '../../src/structures/det-data-sample';
import { InstanceData } from '../../src/structures/instance-data';
import { BitmapMasks } from '../../src/structures/masks';
import type { DataBatch } from '../../src/models/data-preprocessors/data-preprocessor';
import { Container } from 'inversify';
import { SERVICES, type Logger } from '../../src/registry/services';
import '../../src/components';

const quiet: Progress = { start: () => ({ tick: () => undefined, stop: () => undefined }) };
const CLASSES = ['circle', 'ellipse', 'rectangle', 'triangle', 'star', 'cross'];

/** A logger that keeps its warnings, bound where buildDataLoader looks for one. */
function recordingContainer(): { container: Container; warnings: string[] } {
  const logger = new SilentLogger();
  const container = new Container();
  container.bind<Logger>(SERVICES.Logger).toConstantValue(logger);
  return { container, warnings: logger.messages };
}

// a transform only this thread knows (registered here, not by a module a worker could load)
TRANSFORMS.register(z.object({}).strict(), () => ({ transform: (r: Record<string, unknown>) => r }), { name: 'MainThreadOnlyIdentity', summary: 'test' });

describe('DataLoader worker threads (num_workers)', function () {
  this.timeout(60000);
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hrdet-workers-'));
    await makeSyntheticDataset({ task: 'det', out: dir, train: 7, val: 0, seed: 3, size: [40, 56], progress: quiet });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // random transforms throughout, masks, and a batch size that leaves a short last batch
  const trainPipeline = (extra: unknown[] = []) => [
    { type: 'LoadImageFromFile' },
    { type: 'LoadAnnotations', with_bbox: true, with_mask: true },
    ...extra,
    { type: 'RandomChoiceResize', scales: [[64, 48], [80, 60], [48, 32]], keep_ratio: true },
    { type: 'RandomFlip', prob: 0.5 },
    { type: 'PackDetInputs' },
  ];
  const loaderCfg = (numWorkers: number, o: Record<string, unknown> = {}) => ({
    batch_size: 3,
    num_workers: numWorkers,
    sampler: { type: 'DefaultSampler', shuffle: true, seed: 11 },
    dataset: { type: 'CocoDataset', data_root: dir, ann_file: 'annotations/instances_train.json', data_prefix: { img: 'train/' }, metainfo: { classes: CLASSES }, pipeline: trainPipeline() },
    ...o,
  });

  async function collect(loader: DataLoader<DetDataSample>, epochs = [0, 1]): Promise<DataBatch<DetDataSample>[]> {
    const out = [];
    for (const e of epochs) {
      loader.setEpoch(e);
      for await (const b of loader) out.push(b);
    }
    return out;
  }

  /** Everything a batch carries, as plain values (the classes checked on the way). */
  function flat(batches: DataBatch<DetDataSample>[]): unknown[] {
    return batches.map((b) => ({
      inputs: b.inputs.map((t) => ({ shape: t.shape, dtype: t.dtype, sum: Array.from(t.data as Uint8Array).reduce((a, v) => a + v, 0), head: Array.from((t.data as Uint8Array).subarray(0, 64)) })),
      samples: b.data_samples.map((s) => {
        expect(s).to.be.instanceOf(DetDataSample);
        expect(s.gt_instances).to.be.instanceOf(InstanceData);
        expect(s.gt_instances!.bboxes).to.be.instanceOf(Boxes);
        expect(s.gt_instances!.masks).to.be.instanceOf(BitmapMasks);
        const m = s.gt_instances!.masks as BitmapMasks;
        return { meta: s.metainfo, boxes: (s.gt_instances!.bboxes as Boxes).rows(), labels: [...(s.gt_instances!.labels as Int32Array)], masks: [m.length, m.height, m.width, m.data.reduce((a, v) => a + v, 0)], n: s.gt_instances!.length };
      }),
    }));
  }

  it('0, 1 and 2 workers give the same batches in the same order, two epochs, with random transforms', async () => {
    const ref = flat(await collect(buildDataLoader<DetDataSample>(loaderCfg(0))));
    expect(ref).to.have.length(6); // 7 images in batches of 3, two epochs
    // the stream is really random: flips and scales differ between the epochs
    expect(JSON.stringify(ref.slice(0, 3))).to.not.equal(JSON.stringify(ref.slice(3)));
    // one worker, started anew for each pass
    const { container, warnings } = recordingContainer();
    const one = buildDataLoader<DetDataSample>(loaderCfg(1, { prefetch_factor: 1 }), { container, path: 'train_dataloader' });
    expect(flat(await collect(one))).to.deep.equal(ref);
    expect(one.liveWorkers, 'ended after each pass without persistent_workers').to.equal(0);
    // two persistent workers, kept across the passes until closed
    const two = buildDataLoader<DetDataSample>(loaderCfg(2, { persistent_workers: true }), { container, path: 'train_dataloader' });
    expect(flat(await collect(two))).to.deep.equal(ref);
    expect(two.liveWorkers).to.equal(2);
    await two.close();
    expect(two.liveWorkers).to.equal(0);
    expect(warnings, 'no fallback').to.deep.equal([]);
    expect(one.workerFallback).to.equal(null);
  });

  it('breaking out of the loop ends the workers; idle persistent workers do not keep the process alive', async () => {
    const loader = buildDataLoader<DetDataSample>(loaderCfg(1));
    for await (const _ of loader) break;
    expect(loader.liveWorkers).to.equal(0);
    // a process that breaks out of a persistent loader and never closes it still exits by itself
    const script = `
      require(${JSON.stringify(resolve(__dirname, '../../src/components'))});
      const { buildDataLoader } = require(${JSON.stringify(resolve(__dirname, '../../src/data/loader'))});
      (async () => {
        const loader = buildDataLoader(${JSON.stringify(loaderCfg(2, { persistent_workers: true }))});
        for await (const b of loader) { console.log('batch', b.inputs.length, loader.liveWorkers); break; }
      })();`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 });
    expect(r.signal, r.stderr).to.equal(null);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal('batch 3 2');
  });

  it('Ctrl-C (SIGINT) while workers load ends the process at once', async () => {
    const script = `
      require(${JSON.stringify(resolve(__dirname, '../../src/components'))});
      const { buildDataLoader } = require(${JSON.stringify(resolve(__dirname, '../../src/data/loader'))});
      (async () => {
        const loader = buildDataLoader(${JSON.stringify(loaderCfg(2, { persistent_workers: true }))});
        for (let e = 0; ; e++) { loader.setEpoch(e); for await (const b of loader) console.log('batch'); }
      })();`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((ok) => child.stdout.once('data', () => ok()));
    const t0 = Date.now();
    child.kill('SIGINT');
    const [code, signal] = await new Promise<[number | null, string | null]>((ok) => child.once('exit', (c, s) => ok([c, s])));
    expect(signal).to.equal('SIGINT');
    expect(code).to.equal(null);
    expect(Date.now() - t0).to.be.below(5000);
  });

  it("an error in a worker reaches the caller as the same one-line user error naming the file, and the workers end", async () => {
    const local = mkdtempSync(join(tmpdir(), 'hrdet-workers-err-'));
    try {
      await makeSyntheticDataset({ task: 'det', out: local, train: 4, val: 0, seed: 5, size: [32, 32], progress: quiet });
      const cfg = (n: number) => ({ ...loaderCfg(n), sampler: { type: 'DefaultSampler', shuffle: false }, batch_size: 1, dataset: { ...loaderCfg(n).dataset, data_root: local } });
      const loaders = [buildDataLoader<DetDataSample>(cfg(0)), buildDataLoader<DetDataSample>(cfg(2))];
      // the third image disappears after the datasets were read
      unlinkSync(join(local, 'train', '000002.jpg'));
      const errors: unknown[] = [];
      for (const loader of loaders) {
        let seen = 0;
        try {
          for await (const _ of loader) seen++;
        } catch (e) {
          errors.push(e);
        }
        expect(seen).to.equal(2);
        expect(loader.liveWorkers).to.equal(0);
      }
      expect(errors).to.have.length(2);
      const [inProcess, fromWorker] = errors as Error[];
      expect(fromWorker).to.be.instanceOf(FileError);
      expect(fromWorker.message).to.equal(inProcess.message);
      expect(fromWorker.message).to.include('000002.jpg').and.not.include('\n');
    } finally {
      rmSync(local, { recursive: true, force: true });
    }
  });

  it('a transform the workers cannot build: loads on the main thread, says why, same batches', async () => {
    const cfg = (n: number) => ({ ...loaderCfg(n), dataset: { ...loaderCfg(n).dataset, pipeline: trainPipeline([{ type: 'MainThreadOnlyIdentity' }]) } });
    const ref = flat(await collect(buildDataLoader<DetDataSample>(cfg(0))));
    const { container, warnings } = recordingContainer();
    const loader = buildDataLoader<DetDataSample>(cfg(2), { container, path: 'train_dataloader' });
    expect(flat(await collect(loader))).to.deep.equal(ref);
    expect(loader.workerFallback).to.match(/unknown transform type 'MainThreadOnlyIdentity'/);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/^warning: train_dataloader\.dataset: loading on the main thread instead of 2 worker thread\(s\): building the dataset in a worker thread failed: .*MainThreadOnlyIdentity/);
    expect(loader.liveWorkers).to.equal(0);
  });

  it("the config's plugins (custom_imports) are loaded in the workers too", async () => {
    // the plugin stays on disk: it is loaded for the rest of this process, and later loaders' workers load it too
    const pdir = mkdtempSync(join(tmpdir(), 'hrdet-workers-plugin-'));
    {
      const registries = resolve(__dirname, '../../src/registry/registries');
      const plugin = join(pdir, 'brighten.js');
      writeFileSync(
        plugin,
        `const { z } = require(${JSON.stringify(require.resolve('zod'))});
const { TRANSFORMS } = require(${JSON.stringify(registries)});
exports.scope = 'brighten';
TRANSFORMS.register(z.object({ by: z.number() }).strict(), (o) => ({
  transform(r) { const img = { ...r.img, data: Uint8Array.from(r.img.data, (v) => Math.min(255, v + o.by)) }; return { ...r, img }; },
}), { name: 'Brighten', summary: 'test plugin' });
`,
      );
      loadPlugins({ custom_imports: { imports: [plugin] } });
      const cfg = (n: number) => ({ ...loaderCfg(n), dataset: { ...loaderCfg(n).dataset, pipeline: trainPipeline([{ type: 'Brighten', by: 7 }]) } });
      const ref = flat(await collect(buildDataLoader<DetDataSample>(cfg(0)), [0]));
      const { container, warnings } = recordingContainer();
      const loader = buildDataLoader<DetDataSample>(cfg(2), { container });
      expect(flat(await collect(loader, [0]))).to.deep.equal(ref);
      expect(warnings).to.deep.equal([]);
      // and the plugin did run: the images differ from the pipeline without it
      const plain = flat(await collect(buildDataLoader<DetDataSample>(loaderCfg(0)), [0]));
      expect(JSON.stringify(plain)).to.not.equal(JSON.stringify(ref));
    }
  });
});
