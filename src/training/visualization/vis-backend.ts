import { Registry } from '../../registry/registry';

/**
 * Where the visualizer writes logged scalars and the config (mmengine's BaseVisBackend).
 * `step` is the iteration (or epoch) the values belong to.
 */
export interface VisBackend {
  addScalars(scalars: Readonly<Record<string, number>>, step: number): void;
  addScalar(name: string, value: number, step: number): void;
  /** The config as text (mmengine writes its pretty_text, a Python config). */
  addConfig(text: string): void;
  close(): void;
}

/** mmengine's VISBACKENDS: `visualizer.vis_backends` entries are built from it (with `save_dir` as a default). */
export const VIS_BACKENDS = new Registry<VisBackend>('vis backend');
