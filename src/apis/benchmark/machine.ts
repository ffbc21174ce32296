import { readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';

/** What ran the benchmark: reported with every result so numbers are never read without it. */
export interface MachineInfo {
  cpus: number;
  model: string;
  platform: string;
  total_memory_mb: number;
  node: string;
  /** os.loadavg() (1, 5, 15 minutes) when the benchmark started and when it ended. */
  load_average: { start: number[]; end: number[] | null };
  /** The tfjs backend and the onnxruntime execution provider, in words. */
  backend: string;
  threads: { tfjs_wasm: number | null; tfjs_kernels: string | null; onnxruntime_intra_op: number | null };
}

export function machineInfo(): Omit<MachineInfo, 'backend' | 'threads'> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    model: cpus[0]?.model?.trim() ?? 'unknown',
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    total_memory_mb: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    load_average: { start: loadAverage(), end: null },
  };
}

export function loadAverage(): number[] {
  return os.loadavg().map((v) => Math.round(v * 100) / 100);
}

/**
 * Peak resident memory of this process over an interval. On Linux the kernel keeps the
 * high-water mark (VmHWM) and resets it to the current RSS when "5" is written to
 * /proc/self/clear_refs, so a reset before a run and a read after it give that run's peak.
 * Elsewhere (or when clear_refs is not writable) the RSS sampled after the run stands in, which
 * can miss a transient peak: `exact` says which.
 */
export class PeakMemory {
  readonly exact: boolean;

  constructor() {
    this.exact = canReset();
  }

  /** Start an interval; returns the RSS now (MiB). */
  reset(): number {
    if (this.exact) writeFileSync('/proc/self/clear_refs', '5');
    return process.memoryUsage().rss / 2 ** 20;
  }

  /** Peak RSS since the last reset (MiB). */
  peak(): number {
    const rss = process.memoryUsage().rss / 2 ** 20;
    if (!this.exact) return rss;
    return Math.max(rss, readHwm() ?? rss);
  }
}

function readHwm(): number | null {
  const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : null;
}

function canReset(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return readHwm() !== null;
  } catch {
    return false;
  }
}
