/**
 * hrdet's public API. Plugins import from here (`import { BACKBONES, Backbone } from 'hrdet'`)
 * and get the same registries the CLI builds from.
 */
import 'reflect-metadata';
import './components';

export * from './core';
export { z } from 'zod';
export * from './registry/registry';
export * from './registry/registries';
export { build, createContainer, defaultContainer, BuildContext } from './registry/container';
export { SERVICES, type CheckpointIO, type Logger, type Progress, type ProgressBar } from './registry/services';
export { Backbone, type ShapeSpec } from './backbones/backbone';
export { Neck } from './necks/neck';
export { Model, type NamedOutputs } from './models/model';
export { initBackend, activeBackend, type BackendReport } from './engines/tfjs/backend';
export { TfjsEngine } from './engines/tfjs/tfjs-engine';
export * from './config';
export * from './io';
export { buildModel, type BuildModelOptions, type BuiltModel } from './apis/build-model';
export { loadWeights, loadStateDictInto } from './apis/load-weights';
export { forwardTfjs, forwardFiles, tfjsEngine } from './apis/forward';
export { fromOfficialConfig, readOfficialConfig, officialFamily, type HrdetConfig } from './models/official-config';
export const version: string = require('../../package.json').version;
