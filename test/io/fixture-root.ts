import { sharedFixtures } from '../fixture-root';

/** The shared reference fixtures (see test/fixture-root.ts for where they are looked up). */
export const SHARED_FIXTURES = sharedFixtures();
