import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Repository root (tests run from dist/test/...). */
export const REPO_ROOT = resolve(__dirname, '..', '..');

/**
 * The shared reference fixtures (official HRNet PyTorch outputs, mmdetection test-path
 * outputs, pycocotools results): `$HRDET_FIXTURES`, else `shared/fixtures` inside or next to
 * the repository. Missing fixtures fail the tests that need them rather than skipping them.
 */
export function sharedFixtures(): string {
  const candidates = [
    process.env.HRDET_FIXTURES,
    join(REPO_ROOT, 'shared', 'fixtures'),
    join(REPO_ROOT, '..', 'shared', 'fixtures'),
    '/work/shared/fixtures',
  ].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(join(p, 'hrnet', 'README.md')));
  if (!found) {
    throw new Error(`reference fixtures not found (looked in ${candidates.join(', ')}); set HRDET_FIXTURES`);
  }
  return found;
}
