import { Option, type Command } from 'commander';
import { CONFIG_FORMATS, formatConfig, loadConfig, type ConfigFormat } from '../../config';
import { globalOptions } from '../global-options';
import { loadCliPlugins } from '../plugins';

interface PrintConfigOptions {
  format: ConfigFormat;
}

export function register(program: Command): void {
  program
    .command('print-config')
    .description('print a config fully merged (bases resolved, --cfg-options applied) as JSON, YAML or an mmengine Python config')
    .argument('<config>', 'config file (JSON, YAML, JS or TS)')
    .addOption(new Option('--format <format>', 'output format').choices([...CONFIG_FORMATS]).default('json'))
    .addHelpText(
      'after',
      `
Examples:
  $ hrdet print-config configs/hrnet/td-hm_hrnet-w32_8xb64-210e_coco-256x192.json
  $ hrdet print-config configs/hrnet/td-hm_hrnet-w32_8xb64-210e_coco-256x192.json --format yaml
  $ hrdet print-config configs/hrnet/td-hm_hrnet-w32_8xb64-210e_coco-256x192.json --format py > td-hm_hrnet-w32.py
      (an mmengine Python config: train it with mmpose/mmdetection's tools/train.py or dist_train.sh)
  $ hrdet print-config configs/resnet/resnet50-fpn.json --cfg-options model.backbone.depth=101 input_shape=[3,512,512]`,
    )
    .action(async (file: string, opts: PrintConfigOptions, cmd: Command) => {
      const g = globalOptions(cmd);
      await loadCliPlugins(g);
      const { config } = await loadConfig(file, { cfgOptions: g.cfgOptions });
      const text = formatConfig(config, opts.format);
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    });
}
