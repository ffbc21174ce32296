import { HistoryBuffer } from './history-buffer';

/**
 * mmengine's MessageHub for one run: the history of every logged scalar (`train/loss`,
 * `train/lr`, `val/coco/bbox_mAP`, ...) and runtime information (epoch, iter, max_iters, ...).
 * Its state goes into checkpoints, so a resumed run logs the same window means as one that
 * never stopped.
 */
export class MessageHub {
  readonly logScalars = new Map<string, HistoryBuffer>();
  readonly runtimeInfo = new Map<string, unknown>();

  updateScalar(key: string, value: number, count = 1): void {
    let b = this.logScalars.get(key);
    if (!b) {
      b = new HistoryBuffer();
      this.logScalars.set(key, b);
    }
    b.update(value, count);
  }

  getScalar(key: string): HistoryBuffer | undefined {
    return this.logScalars.get(key);
  }

  updateInfo(key: string, value: unknown): void {
    this.runtimeInfo.set(key, value);
  }

  getInfo<T = unknown>(key: string): T | undefined {
    return this.runtimeInfo.get(key) as T | undefined;
  }

  /** The checkpoint's `message_hub` entry (mmengine's keys; history buffers as plain dicts). */
  stateDict(): Record<string, unknown> {
    const runtime = Object.fromEntries([...this.runtimeInfo].filter(([, v]) => isPlain(v)));
    return {
      log_scalars: Object.fromEntries([...this.logScalars].map(([k, b]) => [k, b.stateDict()])),
      runtime_info: runtime,
      resumed_keys: Object.fromEntries(Object.keys(runtime).map((k) => [k, true])),
    };
  }

  loadStateDict(s: Record<string, unknown> | undefined): void {
    if (!s) return;
    this.logScalars.clear();
    const scalars = (s.log_scalars ?? {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(scalars)) this.logScalars.set(k, HistoryBuffer.fromState(v));
    for (const [k, v] of Object.entries((s.runtime_info ?? {}) as Record<string, unknown>)) this.runtimeInfo.set(k, v);
  }
}

function isPlain(v: unknown): boolean {
  return v === null || ['number', 'string', 'boolean'].includes(typeof v) || (Array.isArray(v) && v.every(isPlain));
}
