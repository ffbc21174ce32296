import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { loadPluginFile } from '../config/plugins';
import { build } from '../registry/container';
import { withDefaultScope } from '../registry/registry';
import { DATASETS } from '../registry/registries';
import type { BaseDataset } from './datasets/base-dataset';
import { loadSamples } from './load-samples';
import { encodeForTransfer, NotTransferable, serializeError, transferables } from './worker-transfer';

/** What a loader worker thread is started with (see WorkerPool). */
export interface LoaderWorkerData {
  dataset: unknown;
  /** Config path of the dataset, for error messages. */
  path: string;
  defaultScope: string | null;
  /** The plugins the main thread loaded, loaded here in the same scopes. */
  plugins: { file: string; scope: string }[];
  seed: number;
}

export type ToWorker = { type: 'batch'; id: number; epoch: number; indices: number[] };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-failed'; reason: string }
  | { type: 'batch'; id: number; items: unknown[] }
  | { type: 'error'; id: number; error: ReturnType<typeof serializeError> }
  | { type: 'fallback'; id: number; reason: string };

/**
 * A data loader worker thread: builds its own copy of the dataset (the built-in components,
 * then the main thread's plugins), then loads the batches it is sent, one at a time, and posts
 * the packed samples back.
 */
async function main(): Promise<void> {
  const port = parentPort!;
  const data = workerData as LoaderWorkerData;
  let dataset: BaseDataset;
  try {
    // every built-in registration, as the main thread has them (a thread starts with empty registries)
    require(join(__dirname, '..', 'components'));
    for (const p of data.plugins) loadPluginFile(p.file, p.scope);
    dataset = withDefaultScope(data.defaultScope, () => build(DATASETS, data.dataset, { path: data.path })) as BaseDataset;
  } catch (e) {
    port.postMessage({ type: 'init-failed', reason: e instanceof Error ? e.message.split('\n')[0] : String(e) } satisfies FromWorker);
    return;
  }
  port.postMessage({ type: 'ready' } satisfies FromWorker);
  // one batch at a time, in the order sent: the main thread keeps at most prefetch_factor queued here
  let chain = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    chain = chain.then(() => loadOne(port, dataset, data.seed, m));
  });
}

async function loadOne(port: NonNullable<typeof parentPort>, dataset: BaseDataset, seed: number, m: ToWorker): Promise<void> {
  let items: unknown[];
  try {
    items = (await loadSamples(dataset, m.indices, seed, m.epoch)).map((it, k) => encodeForTransfer(it, `item ${m.indices[k]}`));
  } catch (e) {
    if (e instanceof NotTransferable) port.postMessage({ type: 'fallback', id: m.id, reason: e.message } satisfies FromWorker);
    else port.postMessage({ type: 'error', id: m.id, error: serializeError(e) } satisfies FromWorker);
    return;
  }
  const msg: FromWorker = { type: 'batch', id: m.id, items };
  try {
    port.postMessage(msg, transferables(items));
  } catch {
    port.postMessage(msg); // a buffer that cannot move is copied instead
  }
}

void main();
