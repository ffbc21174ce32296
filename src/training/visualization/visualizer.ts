import type { Container } from 'inversify';
import { z } from 'zod';
import { ConfigError } from '../../core/errors';
import { buildFrom } from '../../registry/build-context';
import { formatZodError } from '../../registry/validation';
import { VIS_BACKENDS, type VisBackend } from './vis-backend';

/** The visualizer types of mm* configs; they differ only in drawing, which training does not do. */
const VISUALIZER_TYPES = ['Visualizer', 'DetLocalVisualizer', 'PoseLocalVisualizer', 'SegLocalVisualizer', 'UniversalVisualizer', 'ClsVisualizer'] as const;

export const visualizerSchema = z
  .object({
    type: z.enum(VISUALIZER_TYPES).default('Visualizer'),
    name: z.string().default('visualizer'),
    vis_backends: z.array(z.record(z.unknown())).default([{ type: 'LocalVisBackend' }]),
    save_dir: z.string().nullable().optional(),
    // drawing options of the task visualizers (no effect on what training writes)
    bbox_color: z.unknown().optional(),
    text_color: z.unknown().optional(),
    mask_color: z.unknown().optional(),
    line_width: z.unknown().optional(),
    alpha: z.unknown().optional(),
    radius: z.unknown().optional(),
    kpt_color: z.unknown().optional(),
    skeleton: z.unknown().optional(),
    link_color: z.unknown().optional(),
  })
  .strict();

/**
 * mmengine's Visualizer as training uses it: scalars and the config, fanned out to every
 * backend of `vis_backends` (LocalVisBackend, TensorboardVisBackend), each writing under
 * `<work_dir>/<timestamp>/vis_data` unless it names its own `save_dir`.
 */
export class Visualizer {
  constructor(readonly backends: readonly VisBackend[]) {}

  static build(cfg: unknown, saveDir: string, container: Container, file?: string): Visualizer {
    const parsed = visualizerSchema.safeParse(cfg ?? {});
    if (!parsed.success) {
      const [where, what] = formatZodError(parsed.error, 'visualizer');
      throw new ConfigError(where ? `visualizer.${where}` : 'visualizer', what, file);
    }
    const o = parsed.data;
    const backends = o.vis_backends.map((b, i) => buildFrom(VIS_BACKENDS, b, container, `visualizer.vis_backends.${i}`, file, { save_dir: saveDir }));
    return new Visualizer(backends);
  }

  addScalars(scalars: Readonly<Record<string, number>>, step: number): void {
    for (const b of this.backends) b.addScalars(scalars, step);
  }

  addConfig(text: string): void {
    for (const b of this.backends) b.addConfig(text);
  }

  close(): void {
    for (const b of this.backends) b.close();
  }
}
