import { z } from 'zod';
import { Registry } from '../../src/registry/registry';

export { z };

/**
 * A throwaway registry for plugin tests (hrdet's real ones stay clean for the tests that list
 * or build every registered component). It has one built-in, `HRNet`, registered at import,
 * outside any plugin scope.
 */
export const TEST_BACKBONES = new Registry<{ kind: string; options: unknown }>('backbone');

TEST_BACKBONES.register(z.object({ width: z.number().int().default(18) }).strict(), (o) => ({ kind: 'builtin HRNet', options: o }), {
  name: 'HRNet',
});
