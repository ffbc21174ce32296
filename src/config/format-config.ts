import * as yaml from 'js-yaml';
import { UserError } from '../core/errors';
import { loadConfig, type LoadConfigOptions } from './load-config';
import { formatPythonConfig } from './python-config';

export const CONFIG_FORMATS = ['json', 'yaml', 'py'] as const;
export type ConfigFormat = (typeof CONFIG_FORMATS)[number];

/**
 * A config as text for `hrdet print-config`: JSON (2-space indent), YAML, or an mmengine
 * Python config (`py`, see python-config.ts: for training with mmdetection itself). JSON and
 * YAML load back as the same config; YAML writes lists of plain values on one line.
 */
export function formatConfig(cfg: unknown, format: ConfigFormat = 'json'): string {
  if (format === 'json') return `${JSON.stringify(cfg, null, 2)}\n`;
  if (format === 'py') return formatPythonConfig(cfg);
  if (format === 'yaml') {
    return yaml.dump(cfg, {
      noRefs: true,
      lineWidth: -1,
      skipInvalid: true,
      transform: (docs) =>
        yaml.visit(docs, (node) => {
          if (node.kind === 'sequence' && node.items.every((item) => item.kind === 'scalar')) node.style = yaml.COLLECTION_STYLE.FLOW;
        }),
    });
  }
  throw new UserError(`unknown config format '${String(format)}': expected ${CONFIG_FORMATS.join(', ')}`);
}

/** Load `file` (with its bases and options) and format the merged config. */
export function printConfig(file: string, opts: LoadConfigOptions & { format?: ConfigFormat } = {}): string {
  return formatConfig(loadConfig(file, opts).config, opts.format ?? 'json');
}
