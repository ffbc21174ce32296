import { readFileSync } from 'node:fs';
import { FileError, UserError } from '../../core/errors';
import { describeValue } from '../../core/describe-value';

/** One line of a scalar log: its 1-based line number and its scalars (`null` stands for NaN). */
export interface ScalarRecord {
  line: number;
  step: number;
  values: Readonly<Record<string, number | null>>;
  /** A validation line: one that carries metric keys with a '/' (`coco/bbox_mAP`), as mmdetection reads them. */
  validation: boolean;
}

export interface ScalarLog {
  file: string;
  records: ScalarRecord[];
}

export interface CurvePoint {
  x: number;
  y: number;
}

// Python's json writes NaN and infinities bare (mmengine's files have them); hrdet writes null
const BARE_NON_FINITE = /([:,[]\s*)-?(?:NaN|Infinity)(?=\s*[,}\]])/g;

/**
 * mmengine's `vis_data/scalars.json`: JSON lines, one object of scalars per logging step with
 * the iteration as `step` (and `epoch`/`iter` where the loop logs them). Blank lines are skipped;
 * anything else that is not such an object is an error naming the file and line.
 */
export function readScalarLog(file: string): ScalarLog {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileError(file, code === 'ENOENT' ? 'no such scalar log (expected vis_data/scalars.json of a run)' : `cannot read: ${(e as Error).message}`);
  }
  const records: ScalarRecord[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim()) records.push(parseRecord(raw, `${file}:${i + 1}`, i + 1));
  });
  if (records.length === 0) throw new FileError(file, 'no scalar lines (expected JSON lines such as {"loss": 0.5, "step": 50})');
  return { file, records };
}

function parseRecord(text: string, where: string, line: number): ScalarRecord {
  let v: unknown;
  try {
    v = JSON.parse(text.replace(BARE_NON_FINITE, '$1null'));
  } catch (e) {
    throw new FileError(where, `not valid JSON (${(e as Error).message}); expected one object of scalars per line`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new FileError(where, `expected an object of scalars such as {"loss": 0.5, "step": 50}, got ${describeValue(v)}`);
  }
  const values = v as Record<string, unknown>;
  for (const [k, x] of Object.entries(values)) {
    if (x !== null && typeof x !== 'number') throw new FileError(where, `'${k}' is ${describeValue(x)}; expected a number`);
  }
  if (typeof values.step !== 'number') throw new FileError(where, `no numeric 'step' (the iteration the scalars were logged at)`);
  return { line, step: values.step, values: values as Record<string, number | null>, validation: Object.keys(values).some((k) => k.includes('/')) };
}

/** The keys a record contributes: a validation line's metrics only (its `time`/`data_time` are the evaluation's). */
function plottedKeys(r: ScalarRecord): string[] {
  return Object.keys(r.values).filter((k) => k !== 'step' && (!r.validation || k.includes('/')));
}

/** Every plottable key of the log, in order of first appearance. */
export function logKeys(log: ScalarLog): string[] {
  const keys = new Set<string>();
  for (const r of log.records) for (const k of plottedKeys(r)) keys.add(k);
  return [...keys];
}

/**
 * The log's key for `key`: the key itself, or the one metric it ends (mmdetection's shorthand:
 * `bbox_mAP` for `coco/bbox_mAP`). Throws naming the keys present when no line has it.
 */
export function resolveKey(log: ScalarLog, key: string): string {
  const present = logKeys(log);
  if (present.includes(key)) return key;
  const bySuffix = present.filter((k) => k.endsWith(`/${key}`));
  if (bySuffix.length === 1) return bySuffix[0];
  if (bySuffix.length > 1) throw new UserError(`${log.file}: key '${key}' matches ${bySuffix.join(', ')}; give the full key`);
  throw new FileError(log.file, `no line has the key '${key}'; keys present: ${present.join(', ')}`);
}

/** Whether the training lines carry `epoch` (an epoch-based loop: validation steps count epochs). */
export function isEpochBased(log: ScalarLog): boolean {
  return log.records.some((r) => !r.validation && typeof r.values.epoch === 'number');
}

/**
 * The iteration each epoch ended at, as the log knows it (the last training line of the epoch),
 * so that validation results logged per epoch can share the iteration axis with the losses.
 */
function epochEnds(log: ScalarLog): (epoch: number) => number {
  const ends = new Map<number, number>();
  for (const r of log.records) {
    const e = r.values.epoch;
    if (!r.validation && typeof e === 'number') ends.set(e, Math.max(ends.get(e) ?? -Infinity, r.step));
  }
  const [lastEpoch, lastEnd] = [...ends].reduce((a, b) => (b[0] > a[0] ? b : a), [1, 1]);
  // an epoch without training lines: as far along as the epochs that have them
  return (epoch) => ends.get(epoch) ?? Math.round((epoch * lastEnd) / lastEpoch);
}

/**
 * The points of one (resolved) key, x the step it was logged at; NaN values (null) are left out.
 * `onIterations` places validation results of an epoch-based log at the iteration their epoch ended.
 */
export function curvePoints(log: ScalarLog, key: string, onIterations: boolean): CurvePoint[] {
  const validation = key.includes('/');
  const toX = validation && onIterations && isEpochBased(log) ? epochEnds(log) : (s: number) => s;
  const points: CurvePoint[] = [];
  for (const r of log.records) {
    const y = r.values[key];
    if (r.validation === validation && typeof y === 'number') points.push({ x: toX(r.step), y });
  }
  return points;
}
