import { z } from 'zod';
import type { MessageHub } from './message-hub';

export const logProcessorSchema = z
  .object({
    type: z.literal('LogProcessor').default('LogProcessor'),
    window_size: z.number().int().positive().default(10),
    by_epoch: z.boolean().default(true),
    custom_cfg: z.array(z.unknown()).max(0, 'custom log statistics are not available; remove custom_cfg').nullable().optional(),
    num_digits: z.number().int().min(0).default(4),
    log_with_hierarchy: z.literal(false).default(false),
    mean_pattern: z.string().default('.*(loss|time|data_time|grad_norm).*'),
  })
  .strict();
export type LogProcessorOptions = z.output<typeof logProcessorSchema>;

/** Where in the run a log line is written. */
export interface LogPosition {
  mode: 'train' | 'val' | 'test';
  epoch: number;
  /** 1-based index inside the epoch (or the whole run for iteration-based training). */
  step: number;
  total: number;
}

/**
 * mmengine's LogProcessor: turns the message hub's history into what the logger writes — the
 * window means of the smoothed scalars (losses, times; `window_size` iterations), the current
 * value of the others (lr), formatted as mmengine's text lines
 * (`Epoch(train)  [1][ 50/313]  lr: 2.0000e-02  eta: 0:01:40  time: 0.2127 ...`).
 */
export class LogProcessor {
  private readonly mean: RegExp;

  constructor(readonly opts: LogProcessorOptions) {
    this.mean = new RegExp(opts.mean_pattern);
  }

  /** The scalars of `mode` (without the `mode/` prefix), smoothed as mmengine smooths them. */
  scalars(hub: MessageHub, mode: string, window: number | 'epoch' = this.opts.window_size): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, buf] of hub.logScalars) {
      if (!key.startsWith(`${mode}/`)) continue;
      const name = key.slice(mode.length + 1);
      out[name] = this.mean.test(name) ? buf.mean(window === 'epoch' ? undefined : window) : buf.current();
    }
    return out;
  }

  /**
   * One text line in mmengine's order: the position; for training lr, eta, time, data_time,
   * memory, then the loss terms; after evaluation the metrics, then data_time and time.
   */
  line(pos: LogPosition, values: Readonly<Record<string, number>>, eta?: number, memoryMb?: number): string {
    const d = this.opts.num_digits;
    const width = String(pos.total).length;
    const head = this.opts.by_epoch
      ? `Epoch(${pos.mode}) [${pos.epoch}][${String(pos.step).padStart(width)}/${pos.total}]`
      : `Iter(${pos.mode}) [${String(pos.step).padStart(width)}/${pos.total}]`;
    const timing = ['lr', 'eta', 'time', 'data_time', 'memory'];
    // metrics and losses are Python floats in mmengine: always {:.4f}
    const fmt = (k: string, v: number) => `${k}: ${v.toFixed(d)}`;
    const rest = Object.entries(values).filter(([k]) => !timing.includes(k)).map(([k, v]) => fmt(k, v));
    const times = ['time', 'data_time'].filter((k) => values[k] !== undefined).map((k) => fmt(k, values[k]));
    if (pos.mode !== 'train') return [head, ...rest, ...times.reverse()].join('  ');
    const parts: string[] = [head];
    if (values.lr !== undefined) parts.push(`lr: ${pythonExponential(values.lr, d)}`);
    if (eta !== undefined && Number.isFinite(eta)) parts.push(`eta: ${formatDuration(eta)}`);
    parts.push(...times);
    if (memoryMb !== undefined) parts.push(`memory: ${Math.round(memoryMb)}`);
    return [...parts, ...rest].join('  ');
  }
}

/** Python's `{:.4e}`: at least two exponent digits (`2.0000e-02`). */
export function pythonExponential(v: number, digits: number): string {
  return v.toExponential(digits).replace(/e([+-])(\d)$/, (_m, sign: string, exp: string) => `e${sign}0${exp}`);
}

/** Seconds as Python's str(timedelta) of whole seconds: `0:01:40`, `1 day, 2:03:04`. */
export function formatDuration(seconds: number): string {
  let s = Math.max(0, Math.round(seconds));
  const days = Math.floor(s / 86400);
  s -= days * 86400;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const hms = `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
  return days ? `${days} day${days > 1 ? 's' : ''}, ${hms}` : hms;
}
