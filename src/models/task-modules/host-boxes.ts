/**
 * Host-side inputs of the training-time task modules (assigners, samplers). Assignment reads
 * every prior against every GT box and must decide ties exactly as mmdetection does, so it
 * runs on float32 typed arrays in host memory, never on engine tensors. The field names are
 * mmdetection's InstanceData fields; boxes are flat rows of x1, y1, x2, y2.
 */
export interface HostPriors {
  /** [N * 4] anchors, points-as-boxes or proposals. */
  readonly priors: Float32Array;
}

export interface HostGtInstances {
  /** [G * 4] ground-truth boxes. */
  readonly bboxes: Float32Array;
  /** [G] 0-based class labels. */
  readonly labels: Int32Array;
}

export interface HostIgnoreInstances {
  /** [K * 4] regions to ignore (crowd boxes). */
  readonly bboxes: Float32Array;
}

/** Number of boxes in a flat x1y1x2y2 array; `what` names it in the error. */
export function boxCount(boxes: Float32Array, what: string): number {
  if (boxes.length % 4 !== 0) throw new Error(`${what}: expected rows of 4 box coordinates, got ${boxes.length} values`);
  return boxes.length / 4;
}

/** Rows `inds` of a flat box array. */
export function gatherBoxes(boxes: Float32Array, inds: Int32Array): Float32Array {
  const out = new Float32Array(inds.length * 4);
  for (let k = 0; k < inds.length; k++) out.set(boxes.subarray(inds[k] * 4, inds[k] * 4 + 4), k * 4);
  return out;
}

/** `a` followed by `b`. */
export function concatBoxes(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
