/** Plain-text table: columns padded to their widest cell; `right` columns are right-aligned (numbers). */
export function formatTable(header: string[] | null, rows: string[][], right: boolean[] = []): string {
  const all = header ? [header, ...rows] : rows;
  const columns = Math.max(0, ...all.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(0, ...all.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]) : i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return all.map(line).join('\n');
}

/** 28535866 → "28,535,866". */
export function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 208231.96 → "208,232.0" (one decimal). */
export function grouped1(n: number): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
}
