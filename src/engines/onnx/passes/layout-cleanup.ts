import type { Graph, GraphNode } from '../graph';
import { isStatic, sameDim } from '../sym-dim';

/**
 * Remove nodes that move no data or undo each other: Identity, Cast to the type the value
 * already has, identity Transposes, Transpose of a Transpose (composed into one), Reshape to
 * the shape the value already has, Reshape of a Reshape. Returns the number of nodes removed.
 */
export function cleanupLayout(g: Graph): number {
  let removed = 0;
  let changed = true;
  while (changed) {
    changed = false;
    for (const node of [...g.nodes]) {
      if (!g.nodes.includes(node)) continue;
      if (simplify(g, node)) {
        removed++;
        changed = true;
      }
    }
  }
  return removed;
}

function simplify(g: Graph, node: GraphNode): boolean {
  const out = node.outputs[0];
  const input = node.inputs[0];
  switch (node.op) {
    case 'Identity':
      return g.bypass(node, out, input);
    case 'Cast': {
      const to = node.attrs.to?.kind === 'int' ? node.attrs.to.value : -1;
      const codes: Record<string, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9 };
      return codes[g.info(input).type] === to && g.bypass(node, out, input);
    }
    case 'Transpose':
      return simplifyTranspose(g, node);
    case 'Reshape':
      return simplifyReshape(g, node);
    default:
      return false;
  }
}

function perm(node: GraphNode): number[] | null {
  const a = node.attrs.perm;
  return a && a.kind === 'ints' ? [...a.value] : null;
}

function simplifyTranspose(g: Graph, node: GraphNode): boolean {
  const p = perm(node);
  if (!p) return false;
  if (p.every((v, i) => v === i)) return g.bypass(node, node.outputs[0], node.inputs[0]);
  const inner = g.producers().get(node.inputs[0]);
  if (!inner || inner.op !== 'Transpose' || !soleReader(g, inner.outputs[0])) return false;
  const q = perm(inner);
  if (!q) return false;
  // out[i] = mid[p[i]] = in[q[p[i]]]
  node.attrs = { ...node.attrs, perm: { kind: 'ints', value: p.map((i) => q[i]) } };
  node.inputs[0] = inner.inputs[0];
  g.nodes.splice(g.nodes.indexOf(inner), 1);
  g.values.delete(inner.outputs[0]);
  return true;
}

function simplifyReshape(g: Graph, node: GraphNode): boolean {
  const inDims = g.info(node.inputs[0]).dims;
  const outDims = g.info(node.outputs[0]).dims;
  if (inDims.length === outDims.length && inDims.every((d, i) => sameDim(d, outDims[i]))) {
    return g.bypass(node, node.outputs[0], node.inputs[0]);
  }
  const inner = g.producers().get(node.inputs[0]);
  if (!inner || inner.op !== 'Reshape' || !soleReader(g, inner.outputs[0])) return false;
  // a target with 0 entries copies dims of its own input, so only a fully explicit one can skip a step
  const spec = g.initializers.get(node.inputs[1]);
  if (!spec || Array.from(spec.data as BigInt64Array).some((v) => v === 0n)) return false;
  if (!outDims.every(isStatic) && Array.from(spec.data as BigInt64Array).filter((v) => v === -1n).length !== 1) return false;
  node.inputs[0] = inner.inputs[0];
  g.nodes.splice(g.nodes.indexOf(inner), 1);
  g.values.delete(inner.outputs[0]);
  return true;
}

function soleReader(g: Graph, value: string): boolean {
  return (g.consumers().get(value)?.length ?? 0) === 1 && !g.isGraphOutput(value);
}
