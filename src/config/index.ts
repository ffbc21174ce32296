/** Config files: loading with inheritance and overrides, plugins, formatting, types for TS configs. */
export { loadConfig, loadedConfigOf, type LoadedConfig, type LoadConfigOptions } from './load-config';
export { parseCfgOptions, parseCfgValue, applyCfgOptions, type CfgOptions } from './cfg-options';
export { mergeConfig } from './merge';
export { loadPlugins, loadedPluginFiles, loadPluginFile, type LoadedPlugin, type LoadPluginsOptions } from './plugins';
export { formatConfig, printConfig, CONFIG_FORMATS, type ConfigFormat } from './format-config';
export { buildFromConfig, inSourceFile } from './build-from-config';
export { CONFIG_EXTENSIONS } from './read-config-file';
export { getAt, sourceOf, type ConfigObject, type ConfigSources } from './config-tree';
export { defineConfig, type ConfigFunctionContext, type HrdetConfigFunction } from './define-config';
export type * from './config-types';
