import * as path from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write';
import { benchmarkCharts, type ChartSpec } from './charts';
import { renderVegaLiteSvg, svgToPng } from '../../training/visualization/render-chart';
import { reportDocument, type ReportDocument, type Table } from './report-document';
import type { BenchmarkResults } from './results';

export interface RenderedChart extends ChartSpec {
  svg: string;
  png: string;
}

/**
 * report.md, report.html (one self-contained page: the charts inlined as SVG, no script, no
 * network) and one PNG per chart next to them. Returns the files written.
 */
export async function writeReports(results: BenchmarkResults, outDir: string): Promise<string[]> {
  const doc = reportDocument(results);
  const charts: RenderedChart[] = [];
  for (const c of benchmarkCharts(results)) charts.push({ ...c, svg: await renderVegaLiteSvg(c.spec), png: `chart-${c.id}.png` });
  const files: string[] = [];
  const write = async (name: string, bytes: Uint8Array) => {
    const file = path.join(outDir, name);
    await writeFileAtomic(file, (w) => w.write(bytes));
    files.push(file);
  };
  for (const c of charts) await write(c.png, await svgToPng(c.svg, 144));
  await write('report.md', Buffer.from(toMarkdown(doc, charts)));
  await write('report.html', Buffer.from(toHtml(doc, charts)));
  return files;
}

// --- markdown --------------------------------------------------------------------------------

export function toMarkdown(doc: ReportDocument, charts: readonly Pick<RenderedChart, 'title' | 'caption' | 'png'>[]): string {
  const out: string[] = [`# ${doc.title}`, ''];
  for (const s of doc.sections) {
    out.push(`## ${s.title}`, '');
    for (const p of s.paragraphs ?? []) out.push(p, '');
    if (s.bullets?.length) out.push(...s.bullets.map((b) => `- ${b}`), '');
    for (const t of s.tables ?? []) out.push(markdownTable(t), '');
    if (s.charts) for (const c of charts) out.push(`### ${c.title}`, '', `![${c.title}](${c.png})`, '', c.caption, '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function markdownTable(t: Table): string {
  if (t.rows.length === 0) return '_(none)_';
  const cell = (c: string) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [`| ${t.header.map(cell).join(' | ')} |`, `|${t.header.map((_, i) => (t.right[i] ? '---:' : '---')).join('|')}|`];
  for (const r of t.rows) lines.push(`| ${r.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

// --- html ------------------------------------------------------------------------------------

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; color: #222; margin: 2rem auto; max-width: 78rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.6rem 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 7px; vertical-align: top; }
th { background: #f4f6f8; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { background: #f4f6f8; padding: 0 3px; }
figure.chart { display: inline-block; margin: 0.8rem 1.2rem 0.8rem 0; vertical-align: top; max-width: 40rem; }
figure.chart figcaption { color: #555; font-size: 12.5px; }
`;

export function toHtml(doc: ReportDocument, charts: readonly Pick<RenderedChart, 'id' | 'title' | 'caption' | 'svg'>[]): string {
  const body: string[] = [`<h1>${esc(doc.title)}</h1>`];
  for (const s of doc.sections) {
    body.push(`<h2>${esc(s.title)}</h2>`);
    for (const p of s.paragraphs ?? []) body.push(`<p>${inline(p)}</p>`);
    if (s.bullets?.length) body.push(`<ul>${s.bullets.map((b) => `<li>${inline(b)}</li>`).join('')}</ul>`);
    for (const t of s.tables ?? []) body.push(htmlTable(t));
    if (s.charts) {
      for (const c of charts) {
        body.push(`<figure class="chart" id="chart-${esc(c.id)}">${stripXmlProlog(c.svg)}<figcaption><b>${esc(c.title)}.</b> ${esc(c.caption)}</figcaption></figure>`);
      }
    }
  }
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${esc(doc.title)}</title>`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<style>${STYLE}</style></head><body>`,
    ...body,
    '</body></html>',
    '',
  ].join('\n');
}

function htmlTable(t: Table): string {
  if (t.rows.length === 0) return '<p><i>(none)</i></p>';
  const head = `<tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const rows = t.rows.map((r) => `<tr>${r.map((c, i) => `<td${t.right[i] ? ' class="num"' : ''}>${inline(c)}</td>`).join('')}</tr>`);
  return `<table>${head}${rows.join('')}</table>`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Escaped text with `code` spans. */
function inline(s: string): string {
  return esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function stripXmlProlog(svg: string): string {
  return svg.replace(/^<\?xml[^>]*>\s*/, '');
}
