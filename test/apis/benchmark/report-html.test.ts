import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import type { BenchmarkResults, BenchmarkRow } from '../../../src/apis/benchmark/results';
import { writeReports } from '../../../src/apis/benchmark/write-reports';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

function row(model: string, engine: string, batch: number, median: number, extra: Partial<BenchmarkRow> = {}): BenchmarkRow {
  return {
    config: `configs/${model}.json`,
    model,
    model_type: 'FasterRCNN',
    engine,
    backend: engine === 'tfjs' ? 'tfjs wasm' : 'onnxruntime',
    provider: engine === 'tfjs' ? 'wasm' : 'cpu',
    batch,
    input_shape: [batch, 3, 64, 64],
    params: 27.5e6,
    macs: 178e9,
    gmacs: 178,
    macs_counted: 'backbone + neck + RPN head + RoI box head at 1000 RoIs per image',
    macs_parts: { backbone: 63.6e9, neck: 52e9 },
    complexity_notes: [],
    published: null,
    latency_ms: { median, p90: median * 1.1, min: median * 0.9, max: median * 1.2, mean: median },
    spread: 0.3,
    runs_ms: [median * 0.9, median, median * 1.2],
    throughput: (1000 * batch) / median,
    peak_memory_mb: 900,
    rss_before_mb: 800,
    stages_ms: engine === 'tfjs' ? { backbone: median * 0.5, neck: median * 0.2, heads: median * 0.2, post_processing: median * 0.1 } : {},
    rois_per_image: engine === 'tfjs' ? 1000 : null,
    load_average: [2, 3],
    metrics: {},
    notes: [],
    ...extra,
  };
}

function results(rows: BenchmarkRow[]): BenchmarkResults {
  return {
    hrdet_version: '0.1.0',
    created: '2026-01-01T00:00:00.000Z',
    command: 'hrdet benchmark a.json --out-dir d',
    machine: {
      cpus: 2,
      model: 'test CPU',
      platform: 'linux',
      total_memory_mb: 1024,
      node: process.version,
      load_average: { start: [1, 1, 1], end: [2, 2, 2] },
      backend: 'tfjs wasm; onnxruntime-node',
      threads: { tfjs_wasm: 1, tfjs_kernels: 'ort', onnxruntime_intra_op: 2 },
    },
    settings: {
      preset: null,
      configs: [],
      engines: ['tfjs', 'onnx'],
      provider: 'auto',
      shapes: { a: [3, 64, 64] },
      batches: [1, 2],
      iters: 3,
      warmup: 1,
      rois: null,
      seed: 0,
      weights: { a: 'random' },
      dataset: null,
      timing: 'timing <note> & such',
      memory: 'memory note',
    },
    rows,
    skipped: [],
    interrupted: false,
    notes: [],
    published_sources: {},
  };
}

describe('benchmark report.html in headless Chromium', function () {
  this.timeout(60000);
  let chromium: typeof import('playwright-core').chromium;

  before(function () {
    if (!existsSync(CHROMIUM)) {
      // CI installs Debian's chromium (.ci/run); a local machine without it skips this check
      console.log(`      skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);
      this.skip();
    }
    chromium = require('playwright-core').chromium;
  });

  async function open(html: string) {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
    const errors: string[] = [];
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) errors.push(`network request: ${r.url()}`);
    });
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
    const charts = await page.$$eval('figure.chart', (figs) =>
      figs.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return { id: f.id, marks: svg ? svg.querySelectorAll('path, text, rect, line').length : 0, width: box?.width ?? 0, height: box?.height ?? 0 };
      }),
    );
    const tables = await page.$$eval('table', (ts) => ts.length);
    await browser.close();
    return { errors, charts, tables };
  }

  it('renders the five charts (empty-state AP chart without metrics) and logs no error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrdet-report-'));
    await writeReports(results([row('hr18', 'tfjs', 1, 100), row('hr18', 'onnx', 1, 40), row('hr18', 'tfjs', 2, 180), row('r50', 'tfjs', 1, 120)]), dir);
    const html = join(dir, 'report.html');
    // self-contained: no script, no external resource (the svg namespaces are not fetched)
    expect(readFileSync(html, 'utf8')).to.not.match(/<script|<link\s|\ssrc=|url\(\s*['"]?https?:/);
    const { errors, charts, tables } = await open(html);
    expect(errors).to.deep.equal([]);
    expect(charts.map((c) => c.id)).to.deep.equal(['chart-latency-vs-gmacs', 'chart-ap-vs-latency', 'chart-stage-split', 'chart-memory', 'chart-throughput']);
    for (const c of charts) {
      expect(c.marks, c.id).to.be.above(3);
      expect(c.width, c.id).to.be.above(100);
      expect(c.height, c.id).to.be.above(100);
    }
    expect(tables).to.be.at.least(4);
  });

  it('draws AP against latency when rows have metrics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrdet-report-ap-'));
    await writeReports(results([row('hr18', 'tfjs', 1, 100, { metrics: { 'coco/bbox_mAP': 0.369 } }), row('r50', 'tfjs', 1, 80, { metrics: { 'coco/bbox_mAP': 0.374 } })]), dir);
    const { errors, charts } = await open(join(dir, 'report.html'));
    expect(errors).to.deep.equal([]);
    expect(charts).to.have.length(5);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).to.not.contain('No accuracy in this run');
  });
});
