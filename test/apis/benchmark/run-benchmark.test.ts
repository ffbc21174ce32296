import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runBenchmark, type BenchmarkEvent } from '../../../src/apis/benchmark/run-benchmark';
import type { BenchmarkResults } from '../../../src/apis/benchmark/results';
import { UserError } from '../../../src/core/errors';
import { ROOT } from '../../cli/run-cli';

const FASTER = join(ROOT, 'test', 'apis', 'benchmark', 'tiny-faster-rcnn.json');
const FCOS = join(ROOT, 'test', 'apis', 'benchmark', 'tiny-fcos.json');

describe('runBenchmark: tiny Faster R-CNN and FCOS on tfjs and onnx', function () {
  this.timeout(120000);
  const dir = mkdtempSync(join(tmpdir(), 'hrdet-bench-'));
  let results: BenchmarkResults;
  let files: string[];
  const events: BenchmarkEvent[] = [];

  before(async () => {
    ({ results, files } = await runBenchmark({
      configs: [FASTER, FCOS],
      shape: [3, 64, 64],
      batches: [1, 2],
      iters: 2,
      warmup: 1,
      backend: 'wasm',
      outDir: dir,
      onProgress: (e) => events.push(e),
    }));
  });

  it('has one row per model x engine x batch, two-stage onnx rows on the whole exported graph', () => {
    expect(results.rows.map((r) => `${r.model}|${r.engine}|${r.batch}`)).to.deep.equal([
      'tiny-faster-rcnn|tfjs|1',
      'tiny-fcos|tfjs|1',
      'tiny-faster-rcnn|onnx|1',
      'tiny-fcos|onnx|1',
      'tiny-faster-rcnn|tfjs|2',
      'tiny-fcos|tfjs|2',
      'tiny-faster-rcnn|onnx|2',
      'tiny-fcos|onnx|2',
    ]);
    expect(results.interrupted).to.equal(false);
    expect(results.skipped).to.deep.equal([]);
  });

  it('fills every column: counts, latency order statistics, throughput, memory, stages, empty metrics', () => {
    for (const r of results.rows) {
      const label = `${r.model} ${r.engine} b${r.batch}`;
      expect(r.runs_ms, label).to.have.length(2);
      expect(r.latency_ms.min, label).to.be.at.most(r.latency_ms.median);
      expect(r.latency_ms.median, label).to.be.at.most(r.latency_ms.p90);
      expect(r.throughput, label).to.be.closeTo((1000 * r.batch) / r.latency_ms.median, 1e-9);
      expect(r.peak_memory_mb, label).to.be.at.least(r.rss_before_mb).and.above(0);
      expect(r.input_shape, label).to.deep.equal([r.batch, 3, 64, 64]);
      expect(r.metrics, label).to.deep.equal({});
      expect(r.params, label).to.be.above(0);
      expect(r.gmacs, label).to.equal(r.macs / 1e9);
      if (r.engine === 'tfjs') {
        expect(Object.keys(r.stages_ms), label).to.include.members(['backbone', 'neck', 'heads', 'post_processing']);
        expect(r.backend).to.equal('tfjs wasm');
      } else {
        // the whole graph, and its backbone + neck graph timed on its own right after
        expect(Object.keys(r.stages_ms), label).to.deep.equal(['backbone+neck', 'rest']);
        expect(r.stages_ms['backbone+neck'], label).to.be.above(0);
        expect(r.stages_ms.rest, label).to.be.at.least(0);
        expect(r.backend).to.equal('onnxruntime');
        expect(r.provider).to.equal('cpu');
      }
    }
    const tf = results.rows.find((r) => r.model === 'tiny-faster-rcnn' && r.engine === 'tfjs')!;
    const whole = results.rows.find((r) => r.model === 'tiny-faster-rcnn' && r.engine === 'onnx')!;
    expect(whole.macs).to.equal(tf.macs);
    expect(whole.params).to.equal(tf.params);
    expect(tf.macs_counted).to.match(/RoI box head at 100 RoIs/);
    expect(Object.keys(tf.stages_ms)).to.include.members(['heads.rpn_head', 'heads.roi_head']);
    expect(tf.rois_per_image).to.be.within(1, 100); // test_cfg.rpn.max_per_img of the tiny config
    expect(results.rows.find((r) => r.model === 'tiny-fcos')!.rois_per_image).to.equal(null);
  });

  it('records the machine: cpus, model, load average, node, backend, threads', () => {
    const m = results.machine;
    expect(m.cpus).to.be.above(0);
    expect(m.model).to.be.a('string');
    expect(m.load_average.start).to.have.length(3);
    expect(m.load_average.end).to.have.length(3);
    expect(m.node).to.equal(process.version);
    expect(m.backend).to.match(/tfjs wasm/).and.match(/onnxruntime/);
    expect(m.threads.onnxruntime_intra_op).to.be.above(0);
  });

  it('writes results.json (the same rows), report.md, report.html and one PNG per chart', () => {
    const onDisk = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(onDisk.rows).to.deep.equal(JSON.parse(JSON.stringify(results.rows)));
    for (const f of ['results.json', 'report.md', 'report.html', 'chart-latency-vs-gmacs.png', 'chart-ap-vs-latency.png', 'chart-stage-split.png', 'chart-memory.png', 'chart-throughput.png']) {
      expect(existsSync(join(dir, f)), f).to.equal(true);
      expect(files).to.include(join(dir, f));
    }
    const png = readFileSync(join(dir, 'chart-memory.png'));
    expect(png.subarray(1, 4).toString()).to.equal('PNG');
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).to.contain('| tiny-faster-rcnn | onnx | 1 |');
    expect(md).to.contain('Stage split (onnx, median ms)');
    expect(md).to.contain('load average');
    expect(md).to.contain('No accuracy in this run');
    expect(md).to.not.contain('do not export to ONNX as a whole');
  });

  it('reports progress: runs, then rows as they finish', () => {
    const runs = events.filter((e) => e.kind === 'run');
    expect(runs).to.have.length(8 * 3); // 8 rows x (1 warm-up + 2 timed)
    expect(events.filter((e) => e.kind === 'row').map((e) => (e as { done: number }).done)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('runBenchmark: stopping early', function () {
  this.timeout(60000);

  it('keeps the rows that finished in results.json and marks the run interrupted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrdet-bench-stop-'));
    const abort = new AbortController();
    const { results } = await runBenchmark({
      configs: [FCOS],
      shape: [3, 64, 64],
      batches: [1, 2],
      engines: ['onnx'],
      iters: 2,
      warmup: 0,
      outDir: dir,
      signal: abort.signal,
      onProgress: (e) => {
        if (e.kind === 'row') abort.abort();
      },
    });
    expect(results.interrupted).to.equal(true);
    expect(results.rows.map((r) => r.batch)).to.deep.equal([1]);
    const onDisk = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(onDisk.interrupted).to.equal(true);
    expect(onDisk.rows).to.have.length(1);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).to.contain('INTERRUPTED');
  });

  it('refuses bad options in one line', async () => {
    const bad = async (o: Partial<Parameters<typeof runBenchmark>[0]>) => {
      try {
        await runBenchmark({ configs: [FCOS], outDir: tmpdir(), ...o });
      } catch (e) {
        expect(e).to.be.instanceOf(UserError);
        return (e as Error).message;
      }
      throw new Error('expected a UserError');
    };
    expect(await bad({ configs: [] })).to.match(/nothing to benchmark/);
    expect(await bad({ batches: [0] })).to.match(/batch size must be a positive integer/);
    expect(await bad({ checkpoints: { other: 'x.pth' } })).to.match(/'other' is none of the configs/);
    expect(await bad({ engines: ['tensorrt' as 'tfjs'] })).to.match(/unknown engine 'tensorrt'/);
  });
});
