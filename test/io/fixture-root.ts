import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The shared reference fixtures (`../shared/fixtures` next to the repository). */
const BESIDE_REPO = join(__dirname, '../../../../shared/fixtures');
export const SHARED_FIXTURES = existsSync(BESIDE_REPO) ? BESIDE_REPO : '/work/shared/fixtures';
