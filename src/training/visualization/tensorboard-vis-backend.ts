import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { FileError } from '../../core/errors';
import { DT_STRING, encodeEvent, type EventFields } from './event-proto';
import { tfRecord } from './tfrecord';
import { VIS_BACKENDS, type VisBackend } from './vis-backend';

export const tensorboardVisBackendOptions = z.object({ save_dir: z.string().min(1) }).strict();
export type TensorboardVisBackendOptions = z.input<typeof tensorboardVisBackendOptions>;

let sequence = 0;

/**
 * mmengine's TensorboardVisBackend, writing TensorBoard's event file itself
 * (`<save_dir>/events.out.tfevents.<time>.<host>.<pid>.<n>`): TFRecords of Event protos, the
 * first carrying the file version, then one Event per scalar (a Summary simple_value under the
 * scalar's name) and the config as a text summary (`config/text_summary`, no step), as
 * tensorboardX does for mmengine.
 */
export class TensorboardVisBackend implements VisBackend {
  readonly file: string;
  private fd: number | null;

  /** `clock` gives the wall time in seconds (tests pin it). */
  constructor(
    options: TensorboardVisBackendOptions,
    private readonly clock: () => number = () => Date.now() / 1000,
  ) {
    const o = tensorboardVisBackendOptions.parse(options);
    const now = clock();
    this.file = join(o.save_dir, `events.out.tfevents.${Math.floor(now)}.${hostname()}.${process.pid}.${sequence++}`);
    try {
      mkdirSync(o.save_dir, { recursive: true });
      this.fd = openSync(this.file, 'a');
    } catch (e) {
      throw new FileError(o.save_dir, `cannot write TensorBoard events: ${(e as Error).message}`);
    }
    this.write({ wall_time: now, file_version: 'brain.Event:2' });
  }

  addScalars(scalars: Readonly<Record<string, number>>, step: number): void {
    for (const [k, v] of Object.entries(scalars)) this.addScalar(k, v, step);
  }

  addScalar(name: string, value: number, step: number): void {
    this.write({ wall_time: this.clock(), step, summary: { value: [{ tag: name, simple_value: value }] } });
  }

  addConfig(text: string): void {
    const tensor = { dtype: DT_STRING, tensor_shape: { dim: [{ size: 1 }] }, string_val: [Buffer.from(text, 'utf-8')] };
    // TextPluginData(version=0) serialises to no bytes: content stays unset
    const metadata = { plugin_data: { plugin_name: 'text' } };
    this.write({ wall_time: this.clock(), summary: { value: [{ tag: 'config/text_summary', metadata, tensor }] } });
  }

  /** Flush to disk and close; later calls are errors. */
  close(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }

  private write(e: EventFields): void {
    if (this.fd === null) throw new Error('TensorboardVisBackend: write after close');
    // one write per record, so a reader (or a crash) sees whole records or a torn last one
    writeSync(this.fd, tfRecord(encodeEvent(e)));
  }
}

VIS_BACKENDS.register(tensorboardVisBackendOptions, (o: TensorboardVisBackendOptions) => new TensorboardVisBackend(o), {
  name: 'TensorboardVisBackend',
  summary: 'TensorBoard event files (scalars, config text) written directly, no TensorFlow needed',
});
