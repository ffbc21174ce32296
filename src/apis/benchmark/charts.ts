import type { BenchmarkResults, BenchmarkRow } from './results';
import { ONNX_STAGES, STAGES } from './stage-timer';

/** One chart of the report: a file name stem, a title, and its Vega-Lite spec. */
export interface ChartSpec {
  id: string;
  title: string;
  /** What the chart shows and how to read it (under it in the report). */
  caption: string;
  spec: Record<string, unknown>;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 520;
const HEIGHT = 300;

/** `Faster R-CNN HRNetV2p-W18 1x · tfjs · b1`. */
export function rowLabel(r: Pick<BenchmarkRow, 'model' | 'engine' | 'batch'>): string {
  return `${r.model} · ${r.engine} · b${r.batch}`;
}

function base(title: string, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    $schema: SCHEMA,
    title,
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    padding: 8,
    config: { font: 'sans-serif', legend: { labelLimit: 320, orient: 'bottom', columns: 1 }, axis: { labelLimit: 260 } },
    ...extra,
  };
}

/** A chart whose data is missing: a framed message, still a real (empty-state) chart. */
function emptyState(title: string, message: string): Record<string, unknown> {
  return base(title, {
    data: { values: [{ x: 0, y: 0, text: message }] },
    mark: { type: 'text', fontSize: 13, color: '#555' },
    encoding: { text: { field: 'text' } },
  });
}

/** The report's charts: latency against GMACs, accuracy against latency, stage split, memory, throughput. */
export function benchmarkCharts(results: BenchmarkResults): ChartSpec[] {
  const rows = results.rows;
  const firstBatch = Math.min(...rows.map((r) => r.batch));
  const atFirst = rows.filter((r) => r.batch === firstBatch && Number.isFinite(r.macs));
  const charts: ChartSpec[] = [];

  charts.push({
    id: 'latency-vs-gmacs',
    title: 'Latency against GMACs',
    caption: `Median latency of one batch of ${Number.isFinite(firstBatch) ? firstBatch : 1} (bars: min to p90) against the multiply-accumulates of what the row runs (onnx (backbone+neck) rows: that part only).`,
    spec: atFirst.length
      ? base(`Median latency vs GMACs (batch ${firstBatch})`, {
          data: { values: atFirst.map((r) => ({ model: r.model, engine: r.engine, gmacs: r.gmacs, median: r.latency_ms.median, min: r.latency_ms.min, p90: r.latency_ms.p90 })) },
          layer: [
            {
              mark: { type: 'rule' },
              encoding: { x: { field: 'gmacs', type: 'quantitative' }, y: { field: 'min', type: 'quantitative' }, y2: { field: 'p90' }, color: { field: 'model', type: 'nominal' } },
            },
            {
              mark: { type: 'point', filled: true, size: 90 },
              encoding: {
                x: { field: 'gmacs', type: 'quantitative', title: 'GMACs per image (1e9 multiply-accumulates)', scale: { zero: false } },
                y: { field: 'median', type: 'quantitative', title: 'median latency (ms)' },
                color: { field: 'model', type: 'nominal', title: 'model' },
                shape: { field: 'engine', type: 'nominal', title: 'engine' },
              },
            },
          ],
        })
      : emptyState('Median latency vs GMACs', 'No finished rows with counted MACs.'),
  });

  const withAp = rows.filter((r) => apOf(r) !== null);
  charts.push({
    id: 'ap-vs-latency',
    title: 'AP against latency',
    caption: withAp.length
      ? 'COCO box AP (0.50:0.95, percent) of each checkpoint on the dataset, as `hrdet test` computes it, against the median latency of one batch of each row (up and to the left is better; onnx (backbone+neck) rows time that part only).'
      : 'No accuracy in this run: metrics are measured with --checkpoint cfg=FILE and --dataset (a test config or a dataset folder); the rows have empty metrics.',
    spec: withAp.length
      ? base('Box AP vs median latency', {
          data: { values: withAp.map((r) => ({ model: r.model, engine: r.engine, batch: r.batch, ap: apOf(r), median: r.latency_ms.median, min: r.latency_ms.min, p90: r.latency_ms.p90 })) },
          layer: [
            {
              mark: { type: 'rule' },
              encoding: { y: { field: 'ap', type: 'quantitative' }, x: { field: 'min', type: 'quantitative' }, x2: { field: 'p90' }, color: { field: 'model', type: 'nominal' } },
            },
            {
              mark: { type: 'point', filled: true, size: 90 },
              encoding: {
                x: { field: 'median', type: 'quantitative', title: 'median latency (ms; bars: min to p90)' },
                y: { field: 'ap', type: 'quantitative', title: 'box AP (%)' },
                color: { field: 'model', type: 'nominal', title: 'model' },
                shape: { field: 'engine', type: 'nominal', title: 'engine' },
              },
            },
          ],
        })
      : emptyState('Box AP vs median latency', 'No metrics: run with --checkpoint cfg=FILE and --dataset (accuracy rows come from checkpoints).'),
  });

  const staged = rows.filter((r) => Object.keys(r.stages_ms).length > 0);
  charts.push({
    id: 'stage-split',
    title: 'Stage split (tfjs)',
    caption: 'Median milliseconds per stage of the eager tfjs runs: backbone, neck, heads (RPN / dense heads, RoI extractors and box heads), post-processing (decoding, NMS, reading results). onnx rows time the whole graph only.',
    spec: staged.length
      ? base('Where the time goes (tfjs, median ms per stage)', {
          data: { values: staged.flatMap((r) => (r.engine === 'tfjs' ? STAGES : ONNX_STAGES).map((stage, order) => ({ row: rowLabel(r), stage, order, ms: r.stages_ms[stage] ?? 0 }))) },
          mark: { type: 'bar' },
          encoding: {
            y: { field: 'row', type: 'nominal', title: null, sort: null },
            x: { field: 'ms', type: 'quantitative', title: 'milliseconds', stack: 'zero' },
            color: { field: 'stage', type: 'nominal', title: 'stage', sort: [...STAGES, ...ONNX_STAGES], scale: { domain: [...STAGES, ...ONNX_STAGES] } },
            order: { field: 'order', type: 'quantitative' },
          },
        })
      : emptyState('Stage split', 'No tfjs rows: the stage split is timed on the eager engine only.'),
  });

  charts.push({
    id: 'memory',
    title: 'Peak memory',
    caption: "Peak resident memory of the process during each row's runs (dark) and just before them (light): the process holds every model of the benchmark, so the difference is what the row's runs added.",
    spec: rows.length
      ? base('Peak resident memory (MiB)', {
          data: { values: rows.flatMap((r) => [{ row: rowLabel(r), kind: 'peak during runs', mb: r.peak_memory_mb }, { row: rowLabel(r), kind: 'before runs', mb: r.rss_before_mb }]) },
          mark: { type: 'bar' },
          encoding: {
            y: { field: 'row', type: 'nominal', title: null, sort: null },
            x: { field: 'mb', type: 'quantitative', title: 'MiB', stack: null },
            color: { field: 'kind', type: 'nominal', title: null, scale: { domain: ['peak during runs', 'before runs'], range: ['#1f5f99', '#a9c8e8'] } },
            opacity: { value: 1 },
          },
        })
      : emptyState('Peak memory', 'No finished rows.'),
  });

  charts.push({
    id: 'throughput',
    title: 'Throughput by batch size',
    caption: 'Images per second at the median latency, for each batch size.',
    spec: rows.length
      ? base('Throughput (images/s at the median)', {
          data: { values: rows.map((r) => ({ series: `${r.model} · ${r.engine}`, batch: r.batch, throughput: r.throughput })) },
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'batch', type: 'ordinal', title: 'batch size' },
            y: { field: 'throughput', type: 'quantitative', title: 'images / s' },
            color: { field: 'series', type: 'nominal', title: 'model · engine' },
          },
        })
      : emptyState('Throughput', 'No finished rows.'),
  });
  return charts;
}

/** The row's box AP (COCO style `bbox_mAP` / `coco/bbox_mAP`, 0-1 or 0-100), in percent. */
export function apOf(r: Pick<BenchmarkRow, 'metrics'>): number | null {
  return metricPercent(r, ['coco/bbox_mAP', 'bbox_mAP', 'AP', 'box_ap']);
}

/** The row's box AP at IoU 0.5 (`coco/bbox_mAP_50`), in percent. */
export function ap50Of(r: Pick<BenchmarkRow, 'metrics'>): number | null {
  return metricPercent(r, ['coco/bbox_mAP_50', 'bbox_mAP_50', 'AP50']);
}

/** The first of `keys` the metrics hold, in percent (mmdetection logs COCO metrics as 0-1; PyTorch-era tables as 0-100). */
function metricPercent(r: Pick<BenchmarkRow, 'metrics'>, keys: string[]): number | null {
  for (const k of keys) {
    const v = r.metrics[k];
    // COCOeval writes -1 where no ground truth exists
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v <= 1 ? v * 100 : v;
  }
  return null;
}
