import type { MachineInfo } from './machine';
import type { PublishedFigures, PublishedSource } from './published-figures';
import type { LatencyStats } from './statistics';

/** One model × engine × batch size, as results.json stores it. */
export interface BenchmarkRow {
  config: string;
  /** A readable name (the published one where the figures file has it, else the config's file name). */
  model: string;
  model_type: string;
  /** `tfjs`, `onnx`, or `onnx (backbone+neck)` for models whose whole graph does not export. */
  engine: string;
  /** `tfjs <backend>` or `onnxruntime`. */
  backend: string;
  /** The tfjs backend, or the onnxruntime execution provider that ran. */
  provider: string;
  batch: number;
  input_shape: number[];
  /** Parameters of what the row runs. */
  params: number;
  /** Multiply-accumulates of what the row runs, per image. */
  macs: number;
  gmacs: number;
  macs_counted: string;
  macs_parts: Record<string, number>;
  complexity_notes: string[];
  published: PublishedFigures | null;
  latency_ms: Pick<LatencyStats, 'median' | 'p90' | 'min'> & { max: number; mean: number };
  /** (max - min) / median over the timed runs. */
  spread: number;
  runs_ms: number[];
  /** Images per second at the median latency. */
  throughput: number;
  /** Peak resident memory of the process during this row's runs (MiB). */
  peak_memory_mb: number;
  /** Resident memory just before the row's runs (MiB; the smallest over its runs). */
  rss_before_mb: number;
  /** Median ms per stage (tfjs: backbone, neck, heads, post_processing, and the heads by part as `heads.<child>`); empty where the engine times the whole graph only. */
  stages_ms: Record<string, number>;
  /**
   * Proposals per image that reached the RoI head (median over runs; two-stage detectors on
   * tfjs, else null): the RoI head's time follows it, and with random weights it varies by model.
   */
  rois_per_image: number | null;
  /** One-minute load average over the row's runs: [lowest, highest]. */
  load_average: [number, number];
  /** Accuracy of the checkpoint on the dataset (`--checkpoint` and `--dataset`); empty otherwise. */
  metrics: Record<string, number>;
  notes: string[];
}

export interface SkippedRow {
  config: string;
  engine: string;
  reason: string;
}

export interface BenchmarkSettings {
  preset: string | null;
  configs: string[];
  engines: string[];
  provider: string;
  /** [C, H, W] per config. */
  shapes: Record<string, number[]>;
  batches: number[];
  iters: number;
  warmup: number;
  rois: number | null;
  seed: number;
  weights: Record<string, string>;
  dataset: string | null;
  timing: string;
  memory: string;
}

export interface BenchmarkResults {
  hrdet_version: string;
  created: string;
  command: string | null;
  machine: MachineInfo;
  settings: BenchmarkSettings;
  rows: BenchmarkRow[];
  skipped: SkippedRow[];
  /** Stopped early (SIGINT): the rows are the ones that finished. */
  interrupted: boolean;
  notes: string[];
  published_sources: Record<string, PublishedSource>;
}
