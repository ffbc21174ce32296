import { ap50Of, apOf, rowLabel } from './charts';
import { ROI_HEADS_NOT_COUNTED } from './complexity';
import { PUBLISHED_ABOUT } from './published-figures';
import type { BenchmarkResults, BenchmarkRow } from './results';
import { STAGES } from './stage-timer';

/** A table of text cells; `right` marks the numeric columns. */
export interface Table {
  header: string[];
  rows: string[][];
  right: boolean[];
}

/** One section of the report: paragraphs, then bullet points, then tables, in that order. */
export interface Section {
  title: string;
  paragraphs?: string[];
  bullets?: string[];
  tables?: Table[];
  /** Where the charts go (the html inlines them, the markdown links the PNGs). */
  charts?: boolean;
}

export interface ReportDocument {
  title: string;
  sections: Section[];
}

const fixed = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '-');

/**
 * The report as a document (sections of paragraphs, bullets and tables), rendered to markdown
 * and to html by the writers: the same words and numbers in both.
 */
export function reportDocument(r: BenchmarkResults): ReportDocument {
  const m = r.machine;
  const s = r.settings;
  const sections: Section[] = [];
  sections.push({
    title: 'Run',
    bullets: [
      ...(r.command ? [`command: \`${r.command}\``] : []),
      `created ${r.created} by hrdet ${r.hrdet_version}${r.interrupted ? ' (INTERRUPTED: only the rows that finished are here)' : ''}`,
      ...(s.preset ? [`preset: ${s.preset}`] : []),
      `input: ${shapesText(s.shapes)}; batch sizes ${s.batches.join(', ')}; ${s.warmup} warm-up and ${s.iters} timed runs per row`,
      `weights: ${weightsText(s.weights)}`,
    ],
  });
  sections.push({
    title: 'Machine',
    bullets: [
      `CPU: ${m.cpus} × ${m.model}; ${m.total_memory_mb} MiB memory; ${m.platform}; node ${m.node}`,
      `engines: ${m.backend}`,
      `threads: tfjs wasm ${m.threads.tfjs_wasm ?? '-'}${m.threads.tfjs_kernels ? ` (${m.threads.tfjs_kernels} kernels)` : ''}, onnxruntime intra-op ${m.threads.onnxruntime_intra_op ?? '-'}`,
      `load average (1, 5, 15 min) at the start: ${m.load_average.start.join(', ')}; at the end: ${m.load_average.end?.join(', ') ?? '-'} (on ${m.cpus} CPUs: above ${m.cpus} means other work was competing for the cores)`,
    ],
  });
  sections.push({
    title: 'Results',
    paragraphs: [
      'One row per model × engine × batch size. Params and GMACs are `hrdet analyze`\'s counts of what the row runs (MACs of conv2d, conv_transpose2d, linear and matmul for one image; GMACs = 1e9). ' +
        'Published params and GFLOPs are the sources\' figures (see below; their GFLOPs are multiply-accumulates too, in their own units). Latency is one batch; img/s = batch / median.',
    ],
    tables: [resultsTable(r.rows)],
    bullets: roiWarnings(r.rows),
  });
  sections.push({
    title: 'What the counts cover',
    tables: [coverageTable(r.rows)],
    bullets: countNotes(r.rows),
  });
  sections.push({
    title: 'Stage split (tfjs, median ms)',
    paragraphs: [
      'Timed on the eager tfjs engine by wrapping the model\'s own modules: backbone, neck, heads (RPN or dense head, RoI extractors and box heads), and post-processing (the rest of the predict path: decoding, score filtering, NMS, reading results to the host). ' +
        'The stages of a run add up to its total; each column is the median over the runs, so the columns need not add up to the median total exactly. ' +
        'RoIs / image: proposals that reached the RoI head (at most test_cfg.rpn.max_per_img); the RoI head\'s time follows it, and with random weights it differs from model to model.',
    ],
    tables: [stageTable(r.rows)],
  });
  if (r.rows.some((row) => row.engine === 'onnx' && 'backbone+neck' in row.stages_ms)) {
    sections.push({
      title: 'Stage split (onnx, median ms)',
      paragraphs: [
        'An ONNX graph runs as one call, so nothing inside it can be timed. Each run of a detector\'s whole graph is followed by a run of its backbone + neck graph alone (the same weights, its feature maps copied to the host): ' +
          '"backbone+neck" is that graph\'s time, "rest" the whole graph\'s time minus it (heads, decoding, NMS, RoI stages and the copies of the other outputs). A difference of two runs, not a measurement inside one.',
      ],
      tables: [onnxStageTable(r.rows)],
    });
  }
  sections.push({ title: 'Spread between runs', paragraphs: ['Every timed run, and the one-minute load average while the row ran.'], tables: [spreadTable(r.rows)] });
  sections.push({
    title: 'Accuracy',
    paragraphs: [
      hasAccuracy(r.rows)
        ? `COCO box metrics (percent) of each checkpoint on ${s.dataset ?? 'the dataset'} (what \`hrdet test\` prints), also in each row's "metrics" and in the AP against latency chart.`
        : 'No accuracy in this run: metrics need --checkpoint cfg=FILE and --dataset (a test config or a dataset folder); every row has "metrics": {}. ' +
          'With random weights the detectors\' post-processing sees random scores: its time is indicative only.',
    ],
    ...(hasAccuracy(r.rows) ? { tables: [accuracyTable(r.rows)] } : {}),
  });
  sections.push({ title: 'Charts', charts: true });
  if (r.skipped.length) {
    sections.push({ title: 'Skipped', tables: [{ header: ['config', 'engine', 'reason'], rows: r.skipped.map((k) => [k.config, k.engine, k.reason]), right: [] }] });
  }
  sections.push({ title: 'How it was measured', bullets: [s.timing, s.memory, ...r.notes] });
  const sources = Object.entries(r.published_sources);
  if (sources.length) {
    sections.push({
      title: 'Published figures',
      paragraphs: [PUBLISHED_ABOUT],
      tables: [publishedTable(r.rows), { header: ['source', 'where'], rows: sources.map(([k, v]) => [k, `${v.title}: ${v.url}`]), right: [] }],
    });
  }
  return { title: s.preset === 'hrnet-vs-resnet' ? 'HRNetV2p against ResNet-FPN: latency and complexity' : 'hrdet benchmark', sections };
}

/** Two-stage rows whose RoI heads got different numbers of proposals: their totals do not compare. */
function roiWarnings(rows: BenchmarkRow[]): string[] {
  const counted = rows.filter((r) => r.rois_per_image !== null);
  const counts = [...new Set(counted.map((r) => Math.round(r.rois_per_image!)))];
  if (counts.length < 2) return [];
  const each = [...new Map(counted.map((r) => [r.model, Math.round(r.rois_per_image!)])).entries()].map(([m, n]) => `${m} ${n}`).join(', ');
  return [
    `The RoI heads got different numbers of proposals per image (${each}): the tfjs totals of these two-stage detectors are not comparable, because RoI-head time follows the proposal count, which with random weights depends on the model. ` +
      'Compare backbone + neck + heads.rpn_head in the stage split (the network up to the proposals), or run with checkpoints.',
  ];
}

function shapesText(shapes: Record<string, number[]>): string {
  const distinct = [...new Set(Object.values(shapes).map((v) => v.join('x')))];
  return distinct.length === 1 ? `${distinct[0]} (C x H x W) for every model` : Object.entries(shapes).map(([c, v]) => `${c} ${v.join('x')}`).join('; ');
}

function weightsText(weights: Record<string, string>): string {
  const distinct = [...new Set(Object.values(weights))];
  return distinct.length === 1 ? distinct[0] : Object.entries(weights).map(([c, w]) => `${c}: ${w}`).join('; ');
}

function hasAccuracy(rows: BenchmarkRow[]): boolean {
  return rows.some((row) => apOf(row) !== null);
}

const percent = (v: number | null) => (v === null ? '-' : v.toFixed(1));

/** One line per config: its COCO box metrics (percent). */
function accuracyTable(rows: BenchmarkRow[]): Table {
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const r of rows) {
    if (seen.has(r.config)) continue;
    seen.add(r.config);
    const m = (k: string) => percent(typeof r.metrics[k] === 'number' && r.metrics[k] >= 0 ? 100 * r.metrics[k] : null);
    out.push([r.model, percent(apOf(r)), percent(ap50Of(r)), m('coco/bbox_mAP_75'), m('coco/bbox_mAP_s'), m('coco/bbox_mAP_m'), m('coco/bbox_mAP_l')]);
  }
  return { header: ['model', 'AP', 'AP50', 'AP75', 'APs', 'APm', 'APl'], rows: out, right: [false, true, true, true, true, true, true] };
}

function resultsTable(rows: BenchmarkRow[]): Table {
  const ap = hasAccuracy(rows);
  const table: Table = {
    // the papers give parameters in 2^20 and "GFLOPs" as multiply-accumulates in 2^30: hrdet's
    // counts are shown in both units so the published columns compare with their neighbours
    header: ['model', 'engine', 'batch', 'params (M)', 'params (Mi)', 'GMACs', 'GiMACs', 'paper params (Mi)', 'paper GFLOPs (GiMACs)', 'median ms', 'p90 ms', 'min ms', 'spread', 'img/s', 'peak RSS MiB', 'counts'],
    right: [false, false, true, true, true, true, true, true, true, true, true, true, true, true, true, false],
    rows: rows.map((r) => [
      r.model,
      r.engine,
      String(r.batch),
      fixed(r.params / 1e6, 2),
      fixed(r.params / 2 ** 20, 2),
      fixed(r.gmacs, 1),
      fixed((r.gmacs * 1e9) / 2 ** 30, 1),
      r.published?.params_m ? r.published.params_m.value.toFixed(1) : '',
      r.published?.gflops ? r.published.gflops.value.toFixed(1) : '',
      fixed(r.latency_ms.median, 1),
      fixed(r.latency_ms.p90, 1),
      fixed(r.latency_ms.min, 1),
      `${fixed(100 * r.spread, 0)}%`,
      fixed(r.throughput, 2),
      String(r.peak_memory_mb),
      r.macs_counted.includes('RoI') ? r.macs_counted : r.complexity_notes.some((n) => n.startsWith(ROI_HEADS_NOT_COUNTED)) ? `${r.macs_counted}; ${ROI_HEADS_NOT_COUNTED}` : r.macs_counted,
    ]),
  };
  if (!ap) return table;
  // accuracy beside the cost: AP and AP50 right after the model's name, engine and batch
  return {
    header: [...table.header.slice(0, 3), 'box AP', 'AP50', ...table.header.slice(3)],
    right: [...table.right.slice(0, 3), true, true, ...table.right.slice(3)],
    rows: table.rows.map((cells, i) => [...cells.slice(0, 3), percent(apOf(rows[i])), percent(ap50Of(rows[i])), ...cells.slice(3)]),
  };
}

function coverageTable(rows: BenchmarkRow[]): Table {
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const r of rows) {
    const key = `${r.config}|${r.engine}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const parts = Object.entries(r.macs_parts).map(([k, v]) => `${k} ${(v / 1e9).toFixed(1)}`).join(', ');
    out.push([r.model, r.engine, r.macs_counted, parts]);
  }
  return { header: ['model', 'engine', 'MACs cover', 'GMACs by part'], rows: out, right: [] };
}

function countNotes(rows: BenchmarkRow[]): string[] {
  return [...new Set(rows.flatMap((r) => [...r.complexity_notes, ...r.notes]))];
}

function onnxStageTable(rows: BenchmarkRow[]): Table {
  const staged = rows.filter((r) => r.engine === 'onnx' && 'backbone+neck' in r.stages_ms);
  return {
    header: ['model', 'batch', 'backbone+neck', 'rest', 'median total', 'rest / total'],
    right: [false, true, true, true, true, true],
    rows: staged.map((r) => {
      const [bn, rest] = [r.stages_ms['backbone+neck'], r.stages_ms.rest];
      return [r.model, String(r.batch), fixed(bn, 1), fixed(rest, 1), fixed(r.latency_ms.median, 1), `${fixed((100 * rest) / (bn + rest), 0)}%`];
    }),
  };
}

function stageTable(rows: BenchmarkRow[]): Table {
  const staged = rows.filter((r) => r.engine === 'tfjs' && Object.keys(r.stages_ms).length > 0);
  return {
    header: ['model', 'batch', ...STAGES.map((s) => s.replace('_', '-')), 'median total', 'heads by part', 'RoIs / image'],
    right: [false, true, ...STAGES.map(() => true), true, false, true],
    rows: staged.map((r) => [
      r.model,
      String(r.batch),
      ...STAGES.map((s) => fixed(r.stages_ms[s] ?? NaN, 1)),
      fixed(r.latency_ms.median, 1),
      Object.entries(r.stages_ms)
        .filter(([k]) => k.startsWith('heads.'))
        .map(([k, v]) => `${k.slice('heads.'.length)} ${fixed(v, 1)}`)
        .join(', '),
      r.rois_per_image === null ? '' : String(Math.round(r.rois_per_image)),
    ]),
  };
}

function spreadTable(rows: BenchmarkRow[]): Table {
  return {
    header: ['row', 'runs (ms)', 'load average during'],
    right: [false, false, false],
    rows: rows.map((r) => [rowLabel(r), r.runs_ms.map((v) => v.toFixed(1)).join(', '), `${r.load_average[0]}–${r.load_average[1]}`]),
  };
}

function publishedTable(rows: BenchmarkRow[]): Table {
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const r of rows) {
    const p = r.published;
    if (!p || seen.has(r.config)) continue;
    seen.add(r.config);
    const v = (x?: { value: number; source: string }) => (x ? `${x.value} [${x.source}]` : '');
    out.push([p.name, v(p.params_m), v(p.gflops), (p.box_ap ?? []).map((a) => v(a)).join('; '), v(p.fps), v(p.mem_gb)]);
  }
  return { header: ['model', 'params (Mi = 2^20)', 'GFLOPs (GiMACs)', 'box AP', 'fps (GPU)', 'train mem (GB)'], rows: out, right: [] };
}
