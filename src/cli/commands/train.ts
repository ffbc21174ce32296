import type { Command } from 'commander';
import { checkResumeArg, train } from '../../apis/train';
import { globalOptions, useBackend } from '../global-options';

interface TrainCliOptions {
  workDir?: string;
  resume?: boolean | string;
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train a model from a config (mmengine runner: train_cfg, optim_wrapper, param_scheduler, default_hooks, ...)')
    .argument('<config>', 'config file')
    .option('--work-dir <dir>', 'where checkpoints and logs go (default: the config\'s work_dir, else work_dirs/<config name>)')
    .option('--resume [checkpoint]', "continue a stopped run exactly: from the work dir's last checkpoint, or from the file given")
    .addHelpText(
      'after',
      `
Writes <work_dir>/<name>.py (the config), epoch_N.pth / iter_N.pth checkpoints (mmengine's
layout; torch.load reads them), last_checkpoint, and per run <work_dir>/<timestamp>/ with
<timestamp>.log, vis_data/scalars.json (and TensorBoard events with TensorboardVisBackend).

Examples:
  $ hrdet make-dataset synthetic --task cls
  $ hrdet train configs/synthetic/hrnet-w18-small_synthetic-cls.json
  $ hrdet train configs/synthetic/hrnet-w18-small_synthetic-cls.json --resume
  $ hrdet train cfg.json --work-dir runs/a --cfg-options train_cfg.max_epochs=2 optim_wrapper.optimizer.lr=0.01`,
    )
    .action(async (config: string, opts: TrainCliOptions, cmd: Command) => {
      const g = globalOptions(cmd);
      checkResumeArg(opts.resume);
      await useBackend(g);
      const r = await train(config, { workDir: opts.workDir, resume: opts.resume, cfgOptions: g.cfgOptions, plugins: g.plugin });
      process.stdout.write(`trained ${r.runner.iter} iterations; checkpoints in ${r.workDir}, logs in ${r.logDir}${r.curve ? `, curves in ${r.curve}` : ''}\n`);
    });
}
