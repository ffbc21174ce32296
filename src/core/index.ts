export * from './host-tensor';
export * from './tensor';
export * from './engine';
export * from './engine-context';
export * from './parameter';
export * from './module';
export * from './errors';
export * as F from './ops';
export * from './random';
