import { SingleBar, Presets } from 'cli-progress';
import type { Progress, ProgressBar } from './services';

/** Progress bars on stderr when it is a terminal; one line per 10% otherwise (CI logs). */
export class TerminalProgress implements Progress {
  start(label: string, total: number): ProgressBar {
    if (process.stderr.isTTY) {
      const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} {status}`, stream: process.stderr }, Presets.shades_classic);
      bar.start(total, 0, { status: '' });
      return { tick: (n = 1, status = '') => bar.increment(n, { status }), stop: () => bar.stop() };
    }
    let done = 0;
    let lastDecile = -1;
    return {
      tick: (n = 1, status = '') => {
        done += n;
        const decile = Math.floor((10 * done) / Math.max(total, 1));
        if (decile !== lastDecile) {
          lastDecile = decile;
          process.stderr.write(`${label}: ${done}/${total} ${status}\n`);
        }
      },
      stop: () => {},
    };
  }
}
