import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Files under `dir`, recursively, relative to it; names starting with '.' are skipped (mmengine's list_dir_or_file). */
export function listFiles(dir: string, root = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory() || (e.isSymbolicLink() && isDir(full))) out.push(...listFiles(full, root));
    else if (!e.name.startsWith('.')) out.push(relative(root, full));
  }
  return out;
}
