import type { Engine } from './engine';

/**
 * The engine the op layer dispatches to. Scoped like tfjs's backend: `withEngine` sets it
 * for the duration of a call, so the same module code runs eagerly or is traced to ONNX.
 */
const stack: Engine[] = [];
let fallback: Engine | null = null;

export function setDefaultEngine(engine: Engine): void {
  fallback = engine;
}

export function currentEngine(): Engine {
  const e = stack.length > 0 ? stack[stack.length - 1] : fallback;
  if (!e) {
    throw new Error('no engine is active: call withEngine(engine, fn) or setDefaultEngine(engine) first');
  }
  return e;
}

export function withEngine<T>(engine: Engine, fn: () => T): T {
  stack.push(engine);
  try {
    return fn();
  } finally {
    stack.pop();
  }
}
