/**
 * hrdet's public API. Plugins import from here (`import { BACKBONES, Backbone } from 'hrdet'`)
 * and get the same registries the CLI builds from.
 */
import 'reflect-metadata';
import './components';

export * from './core';
export * from './nn/init/initializers';
export * from './nn/init/init-cfg';
export * from './nn/conv2d';
export * from './nn/conv-transpose2d';
export * from './nn/batch-norm2d';
export * from './nn/group-norm';
export * from './nn/linear';
export * from './nn/containers';
export * from './nn/activations';
export * from './nn/scale';
export * from './nn/dropout';
export * from './nn/dropout2d';
export * from './nn/norm';
export * from './nn/conv-module';
export * from './nn/option-schemas';
export { z } from 'zod';
export * from './registry/registry';
export * from './registry/registries';
export { build, createContainer, defaultContainer, BuildContext } from './registry/container';
export { SERVICES, type CheckpointIO, type Logger, type Progress, type ProgressBar } from './registry/services';
export { Backbone, type ShapeSpec } from './models/backbones/backbone';
export { Neck } from './models/necks/neck';
export { BaseModel, type NamedTensors, FORWARD_MODES, type ForwardMode, type LossDict } from './models/base-model';
export { initBackend, activeBackend, type BackendReport } from './engines/tfjs/backend';
export { TfjsEngine } from './engines/tfjs/tfjs-engine';
export * from './config';
export * from './io';
export { buildModel, type BuildModelOptions, type BuiltModel } from './apis/build-model';
export { loadWeights, loadStateDictInto } from './apis/load-weights';
export { forwardTfjs, forwardFiles, tfjsEngine } from './apis/forward';
export * from './structures';
export { BaseDataset } from './data/datasets/base-dataset';
export { Hook, PRIORITIES, type TrainOutputs } from './training/hooks/hook';
export { Runner, type RunnerOptions } from './training/runner/runner';
export { MessageHub } from './training/runner/message-hub';
export { train, type TrainOptions, type TrainResult } from './apis/train';
export { runBenchmark, type BenchmarkOptions, type BenchmarkOutcome, type EvaluateFn } from './apis/benchmark/run-benchmark';
export type { BenchmarkResults, BenchmarkRow } from './apis/benchmark/results';
export { plotLog, plotScalarCurves, type PlotLogOptions, type PlotLogResult } from './apis/plot-log';
export { fromOfficialConfig, readOfficialConfig, officialFamily, type HrdetConfig } from './models/official-config';
export const version: string = require('../../package.json').version;
