import { promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { HOOKS } from '../../registry/registries';
import type { BuildContext } from '../../registry/build-context';
import type { Runner } from '../runner/runner';
import { Hook, PRIORITIES, everyN } from './hook';

export const checkpointHookSchema = z
  .object({
    interval: z.number().int().default(-1),
    by_epoch: z.boolean().default(true),
    save_optimizer: z.boolean().default(true),
    save_param_scheduler: z.boolean().default(true),
    out_dir: z.string().nullable().optional(),
    max_keep_ckpts: z.number().int().default(-1),
    save_last: z.boolean().default(true),
    save_best: z.string().nullable().optional(),
    rule: z.enum(['greater', 'less']).nullable().optional(),
    greater_keys: z.array(z.string()).nullable().optional(),
    less_keys: z.array(z.string()).nullable().optional(),
    filename_tmpl: z.string().nullable().optional(),
    save_begin: z.number().int().min(0).default(0),
    published_keys: z.null().optional(),
    file_client_args: z.null().optional(),
    backend_args: z.null().optional(),
  })
  .strict();
export type CheckpointHookOptions = z.output<typeof checkpointHookSchema>;

/** mmengine's rule inference: metric names holding one of these are better when greater / less. */
const GREATER_KEYS = ['acc', 'top', 'AR@', 'auc', 'precision', 'mAP', 'mDice', 'mIoU', 'mAcc', 'aAcc', 'AP'];
const LESS_KEYS = ['loss'];

/**
 * mmengine's CheckpointHook: `epoch_{n}.pth` every `interval` epochs (`iter_{n}.pth` every
 * `interval` iterations with `by_epoch: false`) from `save_begin` on and after the last
 * (`save_last`), keeping the newest `max_keep_ckpts`; with `save_best` (a metric name, or
 * `auto` for the first metric) `best_{metric}_{epoch|iter}_{n}.pth` whenever validation beats
 * the best so far under `rule`. Every file is written atomically and only then recorded in
 * `last_checkpoint`, so the latest checkpoint is always a whole one. The kept and best files
 * are remembered in the message hub, so a resumed run goes on deleting and comparing.
 */
export class CheckpointHook extends Hook {
  readonly name = 'CheckpointHook';
  override priority: number = PRIORITIES.VERY_LOW;

  constructor(readonly opts: CheckpointHookOptions) {
    super();
  }

  override async afterTrainEpoch(runner: Runner): Promise<void> {
    if (!this.opts.by_epoch) return;
    const done = runner.epoch + 1;
    const last = done === runner.maxEpochs;
    if (done <= this.opts.save_begin && !last) return;
    if (everyN(done - this.opts.save_begin, this.opts.interval) || (this.opts.save_last && last)) await this.save(runner, this.filename(`epoch_${done}.pth`, done));
  }

  override async afterTrainIter(runner: Runner): Promise<void> {
    if (this.opts.by_epoch) return;
    const done = runner.iter + 1;
    const last = done === runner.maxIters;
    if (done <= this.opts.save_begin && !last) return;
    if (everyN(done - this.opts.save_begin, this.opts.interval) || (this.opts.save_last && last)) await this.save(runner, this.filename(`iter_${done}.pth`, done));
  }

  override async afterValEpoch(runner: Runner, metrics: Readonly<Record<string, unknown>>): Promise<void> {
    const want = this.opts.save_best;
    if (!want || !runner.trainLoop) return;
    const key = want === 'auto' ? Object.keys(metrics).find((k) => typeof metrics[k] === 'number') : want;
    if (key === undefined) return;
    const score = metrics[key];
    if (typeof score !== 'number') {
      runner.logger.warn(`save_best: validation gave no metric '${key}' (got ${Object.keys(metrics).join(', ') || 'none'}); no best checkpoint is saved`);
      return;
    }
    const rule = this.opts.rule ?? inferRule(key, this.opts.greater_keys ?? GREATER_KEYS, this.opts.less_keys ?? LESS_KEYS);
    const hub = runner.messageHub;
    const best = hub.getInfo<number>('best_score');
    if (best !== undefined && !(rule === 'greater' ? score > best : score < best)) return;
    const previous = hub.getInfo<string>('best_ckpt');
    const n = this.opts.by_epoch ? `epoch_${runner.epoch}` : `iter_${runner.iter}`;
    const file = `best_${key.replace(/\//g, '_')}_${n}.pth`;
    hub.updateInfo('best_score', score);
    hub.updateInfo('best_ckpt', join(this.dir(runner), file));
    await runner.saveCheckpoint(this.dir(runner), file, { saveOptimizer: false, saveParamScheduler: false, recordLatest: false });
    if (previous && basename(previous) !== file) await removeQuietly(previous);
    runner.log(`The best checkpoint with ${score.toFixed(4)} ${key} at ${n.replace('_', ' ')} is saved to ${file}.`);
  }

  private dir(runner: Runner): string {
    return this.opts.out_dir ?? runner.workDir;
  }

  private filename(fallback: string, n: number): string {
    return this.opts.filename_tmpl ? this.opts.filename_tmpl.replace(/\{\}/, String(n)) : fallback;
  }

  private async save(runner: Runner, file: string): Promise<void> {
    const dir = this.dir(runner);
    // recorded before saving, so the checkpoint's own message hub lists it (a resumed run deletes it in turn)
    const kept = [...(runner.messageHub.getInfo<string[]>('keep_ckpt_ids') ?? []).filter((f) => f !== file), file];
    const drop = this.opts.max_keep_ckpts > 0 ? kept.splice(0, Math.max(0, kept.length - this.opts.max_keep_ckpts)) : [];
    runner.messageHub.updateInfo('keep_ckpt_ids', kept);
    await runner.saveCheckpoint(dir, file, { saveOptimizer: this.opts.save_optimizer, saveParamScheduler: this.opts.save_param_scheduler });
    for (const f of drop) await removeQuietly(join(dir, f));
  }
}

function inferRule(key: string, greater: readonly string[], less: readonly string[]): 'greater' | 'less' {
  if (greater.some((k) => key.includes(k))) return 'greater';
  if (less.some((k) => key.includes(k))) return 'less';
  throw new Error(`save_best: cannot tell whether '${key}' is better greater or less; set rule to 'greater' or 'less'`);
}

async function removeQuietly(path: string): Promise<void> {
  await fsp.rm(path, { force: true });
}

HOOKS.register(
  checkpointHookSchema,
  (o: CheckpointHookOptions, ctx: BuildContext) => {
    if (o.save_best && o.rule == null) {
      const key = o.save_best;
      if (key !== 'auto') {
        try {
          inferRule(key, o.greater_keys ?? GREATER_KEYS, o.less_keys ?? LESS_KEYS);
        } catch (e) {
          throw ctx.error('rule', (e as Error).message);
        }
      }
    }
    return new CheckpointHook(o);
  },
  { name: 'CheckpointHook', summary: 'mmengine hook: periodic, last and best checkpoints, atomically, with last_checkpoint' },
);
