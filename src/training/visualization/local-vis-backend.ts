import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { FileError } from '../../core/errors';
import { VIS_BACKENDS, type VisBackend } from './vis-backend';

export const localVisBackendOptions = z
  .object({
    save_dir: z.string().min(1),
    img_save_dir: z.string().default('vis_image'),
    config_save_file: z.string().default('config.py'),
    scalar_save_file: z.string().default('scalars.json'),
  })
  .strict();
export type LocalVisBackendOptions = z.input<typeof localVisBackendOptions>;

/**
 * mmengine's LocalVisBackend: scalars appended to `<save_dir>/scalars.json` as JSON lines,
 * one object per call with the scalars then `step` (`{"loss": 0.5, "lr": 0.02, "step": 50}`),
 * and the config written to `<save_dir>/config.py`. Python's json writes NaN and Infinity
 * bare; these are written as null so every line stays valid JSON.
 */
export class LocalVisBackend implements VisBackend {
  readonly saveDir: string;
  readonly scalarFile: string;
  readonly configFile: string;

  constructor(options: LocalVisBackendOptions) {
    const o = localVisBackendOptions.parse(options);
    this.saveDir = o.save_dir;
    this.scalarFile = join(o.save_dir, o.scalar_save_file);
    this.configFile = join(o.save_dir, o.config_save_file);
    try {
      mkdirSync(o.save_dir, { recursive: true });
    } catch (e) {
      throw new FileError(o.save_dir, `cannot create the visualization directory: ${(e as Error).message}`);
    }
  }

  addScalars(scalars: Readonly<Record<string, number>>, step: number): void {
    // mmengine's setdefault: a 'step' among the scalars wins over the argument
    this.append({ ...scalars, ...('step' in scalars ? {} : { step }) });
  }

  addScalar(name: string, value: number, step: number): void {
    this.append({ [name]: value, step });
  }

  addConfig(text: string): void {
    writeFileSync(this.configFile, text);
  }

  close(): void {}

  private append(record: Record<string, number>): void {
    appendFileSync(this.scalarFile, `${JSON.stringify(record)}\n`);
  }
}

VIS_BACKENDS.register(localVisBackendOptions, (o: LocalVisBackendOptions) => new LocalVisBackend(o), {
  name: 'LocalVisBackend',
  summary: "scalars as JSON lines in vis_data/scalars.json and the config as config.py (mmengine's)",
});
