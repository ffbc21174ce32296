import type { HrdetConfig, HrdetConfigOverride } from './config-types';

/** What a config function receives (see loadConfig): the merge of its `export const _base_`. */
export interface ConfigFunctionContext {
  base: Record<string, any>;
  file: string;
  dirname: string;
}

export type HrdetConfigFunction = (ctx: ConfigFunctionContext) => HrdetConfig | HrdetConfigOverride;

/**
 * Identity at run time; in an editor it types a TS config, so a shipped component's options
 * complete and a misspelt option is an error:
 *
 *   import { defineConfig } from 'hrdet';
 *   export default defineConfig({ model: { type: 'FeaturePyramid', backbone: { type: 'ResNet', depth: 50 } } });
 */
export function defineConfig(config: HrdetConfigFunction): HrdetConfigFunction;
export function defineConfig(config: HrdetConfigOverride): HrdetConfigOverride;
export function defineConfig(config: HrdetConfig): HrdetConfig;
export function defineConfig(config: unknown): unknown {
  return config;
}
