import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FileError } from '../../core/errors';
import { writeFileAtomic } from '../../io/atomic-write';

/** What a finished step left: its files (relative to the work dir), how long it took, what it found. */
export interface StepRecord {
  outputs: string[];
  seconds: number;
  /** CPU time of the process (all its threads) during the step: what the step costs on a machine without other work. */
  cpu_seconds?: number;
  finished: string;
  /** One-minute load average when the step started and when it ended. */
  load: [number, number];
  result?: Record<string, unknown>;
}

interface StateFile {
  hrdet_demo: 1;
  /** The settings the steps were run with: another budget starts over. */
  settings: Record<string, unknown>;
  steps: Record<string, StepRecord>;
}

export const STATE_FILE = 'demo-state.json';

/**
 * The demo's memory between runs: `<work dir>/demo-state.json`, rewritten atomically after each
 * finished step, so a run stopped at any moment finds every step that finished. A step counts
 * as finished only while all its outputs still exist: delete one and that step runs again.
 */
export class DemoState {
  private constructor(
    readonly workDir: string,
    private readonly data: StateFile,
    /** The settings of the run found in the work dir, when they differ from this run's. */
    readonly replacedSettings: Record<string, unknown> | null,
  ) {}

  /** The work dir's state for `settings` (a fresh one when there is none or it was made with other settings). */
  static open(workDir: string, settings: Record<string, unknown>): DemoState {
    const file = path.join(workDir, STATE_FILE);
    const fresh: StateFile = { hrdet_demo: 1, settings, steps: {} };
    if (!existsSync(file)) return new DemoState(workDir, fresh, null);
    let found: StateFile;
    try {
      found = JSON.parse(readFileSync(file, 'utf8')) as StateFile;
    } catch (e) {
      throw new FileError(file, `not a demo state file (${(e as Error).message}); remove it to start over`);
    }
    if (found?.hrdet_demo !== 1 || typeof found.steps !== 'object' || found.steps === null) throw new FileError(file, 'not a demo state file; remove it to start over');
    if (JSON.stringify(found.settings) !== JSON.stringify(settings)) return new DemoState(workDir, fresh, found.settings ?? {});
    return new DemoState(workDir, found, null);
  }

  /** The step's record when it finished and every output is still there. */
  finished(step: string): StepRecord | null {
    const r = this.data.steps[step];
    if (!r) return null;
    return r.outputs.every((f) => existsSync(path.join(this.workDir, f))) ? r : null;
  }

  get steps(): Readonly<Record<string, StepRecord>> {
    return this.data.steps;
  }

  async record(step: string, r: StepRecord): Promise<void> {
    this.data.steps[step] = r;
    await this.save();
  }

  async save(): Promise<void> {
    const text = `${JSON.stringify(this.data, null, 2)}\n`;
    await writeFileAtomic(path.join(this.workDir, STATE_FILE), (w) => w.write(Buffer.from(text)));
  }
}
