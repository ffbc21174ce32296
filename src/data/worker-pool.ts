import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FromWorker, LoaderWorkerData, ToWorker } from './loader-worker';
import type { PackedSample } from './transforms/pack-det-inputs';
import { decodeTransfer, reviveError } from './worker-transfer';

/** A batch the workers cannot hand back (a class they cannot pass): load it on the main thread. */
export class WorkerFallback extends Error {}

interface Pending {
  resolve: (items: PackedSample<unknown>[]) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  exited: boolean;
}

const WORKER_FILE = join(__dirname, 'loader-worker.js');

/**
 * The data loader's worker threads (torch's worker processes): each holds its own copy of the
 * dataset and loads whole batches it is sent. A thread with nothing to do is unref'd, so an
 * idle pool (persistent_workers) never keeps the process alive; `close` terminates them all.
 */
export class WorkerPool {
  private nextId = 0;
  private closed = false;

  private constructor(private readonly slots: Slot[]) {}

  /**
   * Start `n` threads and wait until each has built the dataset. Resolves to the reason instead
   * when the workers cannot run this dataset (the caller then loads on its own thread).
   */
  static async start(n: number, data: LoaderWorkerData): Promise<WorkerPool | string> {
    if (!existsSync(WORKER_FILE)) return `the worker script ${WORKER_FILE} is missing (worker threads run the compiled build)`;
    try {
      structuredClone(data);
    } catch (e) {
      return `the dataset config holds a value a worker thread cannot receive (${(e as Error).message.split('\n')[0]})`;
    }
    const slots: Slot[] = [];
    const ready: Promise<string | null>[] = [];
    for (let k = 0; k < n; k++) {
      const worker = new Worker(WORKER_FILE, { workerData: data, stdout: false, stderr: false });
      const slot: Slot = { worker, pending: new Map(), exited: false };
      slots.push(slot);
      ready.push(
        new Promise((resolve) => {
          const onFirst = (m: FromWorker) => resolve(m.type === 'init-failed' ? `building the dataset in a worker thread failed: ${m.reason}` : null);
          worker.once('message', onFirst);
          worker.once('error', (e) => resolve(`a worker thread failed to start: ${e.message.split('\n')[0]}`));
          worker.once('exit', (code) => resolve(`a worker thread exited with code ${code} while starting`));
        }),
      );
    }
    const pool = new WorkerPool(slots);
    slots.forEach((s, k) => pool.watch(s, k));
    const reasons = (await Promise.all(ready)).filter((r): r is string => r !== null);
    if (reasons.length) {
      await pool.close();
      return reasons[0];
    }
    for (const s of slots) s.worker.unref();
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Threads not yet exited. */
  get alive(): number {
    return this.slots.filter((s) => !s.exited).length;
  }

  /** Batch `indices` of `epoch`, loaded by worker `k`. */
  load(k: number, epoch: number, indices: number[]): Promise<PackedSample<unknown>[]> {
    const slot = this.slots[k];
    if (this.closed || slot.exited) return Promise.reject(new Error(`data loader worker ${k} is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.ref();
      slot.worker.postMessage({ type: 'batch', id, epoch, indices } satisfies ToWorker);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => (s.exited ? undefined : s.worker.terminate())));
  }

  private watch(slot: Slot, k: number): void {
    const settle = (id: number) => {
      const p = slot.pending.get(id);
      slot.pending.delete(id);
      if (slot.pending.size === 0) slot.worker.unref();
      return p;
    };
    const failAll = (e: Error) => {
      for (const id of [...slot.pending.keys()]) settle(id)?.reject(e);
    };
    slot.worker.on('message', (m: FromWorker) => {
      if (m.type === 'batch') settle(m.id)?.resolve(decodeTransfer(m.items) as PackedSample<unknown>[]);
      else if (m.type === 'error') settle(m.id)?.reject(reviveError(m.error));
      else if (m.type === 'fallback') settle(m.id)?.reject(new WorkerFallback(m.reason));
    });
    slot.worker.on('error', (e) => failAll(new Error(`data loader worker ${k} failed: ${e.message}`)));
    slot.worker.on('exit', (code) => {
      slot.exited = true;
      failAll(new Error(`data loader worker ${k} exited (code ${code}) with batches outstanding`));
    });
  }
}
