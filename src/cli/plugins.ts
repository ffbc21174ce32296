import { loadPlugins } from '../config';
import type { GlobalOptions } from './global-options';

/** Load the `--plugin` files (relative to the working directory) for commands that build nothing from a config. */
export async function loadCliPlugins(opts: GlobalOptions): Promise<void> {
  if (opts.plugin?.length) await loadPlugins({}, { baseDir: process.cwd(), extra: opts.plugin });
}
