/**
 * Objects that hold engine tensors (boxes, instance data, data samples, ...) declare them, so an
 * engine's memory scope keeps the tensors a result holds however deeply they are wrapped.
 */
export const TENSORS = Symbol.for('hrdet.tensors');

/** An object that lists the values it holds that may contain tensors. */
export interface TensorContainer {
  [TENSORS](): Iterable<unknown>;
}

export function isTensorContainer(v: unknown): v is TensorContainer {
  return v !== null && typeof v === 'object' && typeof (v as Partial<TensorContainer>)[TENSORS] === 'function';
}

/**
 * Every value inside `value` that `isTensor` accepts: found through arrays, maps, sets, plain
 * objects and tensor containers (each object visited once). The one collector engines use to
 * decide what survives a memory scope.
 */
export function collectTensors<T>(value: unknown, isTensor: (v: unknown) => v is T): T[] {
  const out: T[] = [];
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (isTensor(v)) {
      out.push(v);
      return;
    }
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v) || v instanceof Set) for (const x of v) visit(x);
    else if (v instanceof Map) for (const x of v.values()) visit(x);
    else if (isTensorContainer(v)) for (const x of v[TENSORS]()) visit(x);
    else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) visit(x);
  };
  visit(value);
  return out;
}
