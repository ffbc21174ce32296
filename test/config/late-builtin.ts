import { TEST_BACKBONES, z } from './test-registry';

/**
 * Stands for one of hrdet's own component files that a plugin happens to load first (through
 * `hrdet/...`): its registration must still land in the built-in scope.
 */
TEST_BACKBONES.register(z.object({}).strict(), () => ({ kind: 'LateNet', options: {} }), { name: 'LateNet' });
