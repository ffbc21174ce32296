/**
 * Types of hrdet configs, for TypeScript config files (`export default defineConfig({...})`):
 * an editor completes and checks a shipped component's options as soon as its `type` is written.
 *
 * Each component file adds its options to one of the maps below by declaration merging, with
 * the input type of its zod option schema:
 *
 *   declare module 'config-types' {
 *     interface BackboneOptionsMap { HRNet: z.input<typeof hrnetOptions> }
 *   }
 *
 * Plugin components, written `scope.Name`, are accepted with any options: they are checked
 * when built, like everything else.
 */

/* eslint-disable @typescript-eslint/no-empty-interface -- filled by declaration merging */
export interface BackboneOptionsMap {}
export interface NeckOptionsMap {}
export interface HeadOptionsMap {}
export interface ModelOptionsMap {}
/* eslint-enable @typescript-eslint/no-empty-interface */

/** A component addressed by its scoped name (`my_plugin.MyNet`): options are checked at build time. */
export interface ScopedComponentConfig {
  type: `${string}.${string}`;
  [option: string]: unknown;
}

/** The config of one component `K` of a map: its `type`, its options, `_delete_` for inheritance. */
export type ComponentConfig<M, K extends keyof M & string> = { type: K; _delete_?: boolean } & WithChildConfigs<M[K]>;

/**
 * Options whose name says they hold another component get that component's config type:
 * `backbone`, `neck` and `head` / `*_head` (a model's zod schema leaves them loose).
 */
export type WithChildConfigs<O> = { [P in keyof O]: ChildConfig<P, O[P]> };
type ChildConfig<P, V> = P extends 'backbone'
  ? BackboneConfig
  : P extends 'neck'
    ? NeckConfig | NeckConfig[]
    : P extends 'head' | `${string}_head`
      ? HeadConfig | HeadConfig[]
      : V;

type ConfigUnion<M> = { [K in keyof M & string]: ComponentConfig<M, K> }[keyof M & string];

export type BackboneConfig = ConfigUnion<BackboneOptionsMap> | ScopedComponentConfig;
export type NeckConfig = ConfigUnion<NeckOptionsMap> | ScopedComponentConfig;
export type HeadConfig = ConfigUnion<HeadOptionsMap> | ScopedComponentConfig;
export type ModelConfig = ConfigUnion<ModelOptionsMap> | ScopedComponentConfig;

/**
 * What a config with `_base_` may write: any part of a component's options (they merge into
 * the base's), `type` included only to switch components.
 */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [P in keyof T]?: DeepPartial<T[P]> } : T;
type OverrideUnion<M> = { [K in keyof M & string]: { type?: K; _delete_?: boolean } & ChildOverrides<M[K]> }[keyof M & string];
type ChildOverrides<O> = { [P in keyof O]?: ChildOverride<P, O[P]> };
type ChildOverride<P, V> = P extends 'backbone'
  ? BackboneOverride
  : P extends 'neck'
    ? NeckOverride | NeckConfig[]
    : P extends 'head' | `${string}_head`
      ? HeadOverride | HeadConfig[]
      : DeepPartial<V>;

export type BackboneOverride = OverrideUnion<BackboneOptionsMap> | ScopedComponentConfig;
export type NeckOverride = OverrideUnion<NeckOptionsMap> | ScopedComponentConfig;
export type HeadOverride = OverrideUnion<HeadOptionsMap> | ScopedComponentConfig;
export type ModelOverride = OverrideUnion<ModelOptionsMap> | ScopedComponentConfig;

/** mmengine's plugin list: modules (paths relative to the config, or packages) that register components. */
export interface CustomImports {
  imports: string | string[];
  allow_failed_imports?: boolean;
}

type Section = Record<string, unknown>;

/** The sections besides `model`, typed loosely: their components are checked when built. */
export interface ConfigSections {
  custom_imports?: CustomImports;
  default_scope?: string;
  train_dataloader?: Section;
  val_dataloader?: Section | null;
  test_dataloader?: Section | null;
  train_cfg?: Section | null;
  val_cfg?: Section | null;
  test_cfg?: Section | null;
  val_evaluator?: Section | Section[] | null;
  test_evaluator?: Section | Section[] | null;
  optim_wrapper?: Section;
  param_scheduler?: Section | Section[];
  default_hooks?: Section;
  custom_hooks?: Section[];
  env_cfg?: Section;
  visualizer?: Section;
  log_processor?: Section;
  log_level?: string;
  load_from?: string | null;
  resume?: boolean;
  work_dir?: string;
  randomness?: Section;
  auto_scale_lr?: Section;
  /** Anything else a config defines (mmengine configs hold variables such as `data_root`). */
  [key: string]: unknown;
}

/** A complete config. */
export interface HrdetConfig extends ConfigSections {
  _base_?: string | string[];
  model?: ModelConfig;
}

/** A config that inherits: its model options merge into its bases'. */
export interface HrdetConfigOverride extends ConfigSections {
  _base_: string | string[];
  model?: ModelOverride;
}
