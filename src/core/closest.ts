/** Edit distance (Levenshtein), case-insensitive. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** Up to `n` candidates closest to `name`, nearest first; substring matches count as close. */
export function closest(name: string, candidates: Iterable<string>, n = 3): string[] {
  const scored = [...candidates].map((c) => {
    const d = distance(name, c);
    const sub = c.toLowerCase().includes(name.toLowerCase()) || name.toLowerCase().includes(c.toLowerCase());
    return { c, d: sub ? Math.min(d, 1) : d };
  });
  const limit = Math.max(2, Math.ceil(name.length / 2));
  return scored
    .filter((s) => s.d <= limit)
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, n)
    .map((s) => s.c);
}
