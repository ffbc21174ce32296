/** Plain-text table: columns padded to their widest cell; `right` columns are right-aligned (numbers). */
export function formatTable(header: string[], rows: string[][], right: boolean[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]) : i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** 28535866 → "28,535,866". */
export function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
