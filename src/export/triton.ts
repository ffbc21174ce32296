import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { UserError } from '../core/errors';
import type { ElemType, ValueInfo } from '../engines/onnx/graph';
import { isStatic } from '../engines/onnx/sym-dim';
import { writeFileAtomic } from '../io/atomic-write';

export interface TritonOptions {
  /** Model name: the repository folder and config `name` (default: the ONNX file's base name). */
  name?: string;
  /** Largest batch Triton may assemble (default 8); 0 turns batching off. */
  maxBatchSize?: number;
  /** Batch sizes the dynamic batcher should aim for (default: none, i.e. as large as possible). */
  preferredBatchSizes?: number[];
  /** How long a request may wait for others to join its batch (default 100 µs). */
  maxQueueDelayMicroseconds?: number;
  /** Where instances run; omitted: Triton's default (GPU when there is one). */
  instanceKind?: 'KIND_AUTO' | 'KIND_CPU' | 'KIND_GPU';
  instanceCount?: number;
  /** Model version folder (default 1). */
  version?: number;
}

const TRITON_TYPES: Record<ElemType, string> = {
  float32: 'TYPE_FP32',
  int64: 'TYPE_INT64',
  int32: 'TYPE_INT32',
  bool: 'TYPE_BOOL',
  uint8: 'TYPE_UINT8',
};

/** True when every input and output has the batch symbol as its first dim (what dynamic batching needs). */
function batchable(values: readonly ValueInfo[]): boolean {
  return values.every((v) => {
    const d = v.dims[0];
    return v.dims.length > 0 && !isStatic(d) && d.op === 'sym' && d.name === 'batch';
  });
}

function tensorEntry(v: ValueInfo, dropBatch: boolean): string {
  const dims = (dropBatch ? v.dims.slice(1) : v.dims).map((d) => (isStatic(d) ? String(d) : '-1'));
  return ['  {', `    name: ${JSON.stringify(v.name)}`, `    data_type: ${TRITON_TYPES[v.type]}`, `    dims: [ ${dims.join(', ')} ]`, '  }'].join('\n');
}

/**
 * config.pbtxt for onnxruntime: every input and output with type and dims (-1 for dynamic
 * sizes), and dynamic batching when the graph's batch axis is dynamic (Triton's dims then
 * leave out the batch dimension).
 */
export function tritonConfig(name: string, inputs: readonly ValueInfo[], outputs: readonly ValueInfo[], o: TritonOptions = {}): string {
  const wanted = o.maxBatchSize ?? 8;
  const canBatch = batchable([...inputs, ...outputs]);
  if (wanted > 0 && !canBatch) {
    throw new UserError(`Triton dynamic batching needs a dynamic batch axis on every input and output of '${name}': export with --dynamic, or set the maximum batch size to 0`);
  }
  const maxBatch = canBatch ? wanted : 0;
  const lines = [
    `name: ${JSON.stringify(name)}`,
    'platform: "onnxruntime_onnx"',
    'backend: "onnxruntime"',
    `max_batch_size: ${maxBatch}`,
    'input [',
    inputs.map((v) => tensorEntry(v, maxBatch > 0)).join(',\n'),
    ']',
    'output [',
    outputs.map((v) => tensorEntry(v, maxBatch > 0)).join(',\n'),
    ']',
  ];
  if (maxBatch > 0) {
    lines.push('dynamic_batching {');
    const preferred = (o.preferredBatchSizes ?? []).filter((b) => b <= maxBatch);
    if (preferred.length) lines.push(`  preferred_batch_size: [ ${preferred.join(', ')} ]`);
    lines.push(`  max_queue_delay_microseconds: ${o.maxQueueDelayMicroseconds ?? 100}`);
    lines.push('}');
  }
  if (o.instanceKind) {
    lines.push('instance_group [', '  {', `    count: ${o.instanceCount ?? 1}`, `    kind: ${o.instanceKind}`, '  }', ']');
  }
  return `${lines.join('\n')}\n`;
}

/** Write <dir>/<name>/config.pbtxt and <dir>/<name>/<version>/model.onnx. */
export async function writeTritonRepository(
  dir: string,
  bytes: Uint8Array,
  inputs: readonly ValueInfo[],
  outputs: readonly ValueInfo[],
  o: TritonOptions & { name: string },
): Promise<{ configPath: string; modelPath: string }> {
  if (!/^[A-Za-z0-9_.-]+$/.test(o.name)) throw new UserError(`Triton model name '${o.name}' must use letters, digits, '_', '.' or '-'`);
  const config = tritonConfig(o.name, inputs, outputs, o);
  const modelDir = path.join(dir, o.name, String(o.version ?? 1));
  await mkdir(modelDir, { recursive: true });
  const configPath = path.join(dir, o.name, 'config.pbtxt');
  const modelPath = path.join(modelDir, 'model.onnx');
  await writeFileAtomic(modelPath, (w) => w.write(bytes));
  await writeFileAtomic(configPath, (w) => w.write(Buffer.from(config, 'utf8')));
  return { configPath, modelPath };
}
