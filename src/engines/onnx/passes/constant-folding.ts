import type { HostTensor } from '../../../core/host-tensor';
import { int64Tensor, type Attrs, type Graph, type GraphNode } from '../graph';
import { isStatic } from '../sym-dim';
import { evaluateNode } from './host-eval';

/** Larger results stay computed at run time rather than bloat the file (e.g. a Tile of a constant). */
const MAX_FOLDED_ELEMENTS = 1 << 26;

/**
 * Replace every node whose inputs are all constants by its result, and every Shape of a
 * statically shaped value by a constant. Runs in graph order, so whole constant subgraphs
 * (weight transposes, shape arithmetic) collapse in one sweep. Returns the number of nodes removed.
 */
export function foldConstants(g: Graph): number {
  let folded = 0;
  for (const node of [...g.nodes]) {
    if (node.outputs.some((o) => g.isGraphOutput(o))) continue;
    const results = node.op === 'Shape' ? staticShape(g, node.inputs[0], node.attrs) : evaluateConstant(g, node);
    if (!results || results.some((r) => r.data.length > MAX_FOLDED_ELEMENTS)) continue;
    g.nodes.splice(g.nodes.indexOf(node), 1);
    node.outputs.forEach((o, i) => g.setInitializer(o, results[i]));
    folded++;
  }
  return folded;
}

function evaluateConstant(g: Graph, node: GraphNode): HostTensor[] | null {
  const inputs = node.inputs.map((i) => (i ? g.initializers.get(i) : undefined));
  if (node.inputs.some((name, k) => name && !inputs[k])) return null;
  return evaluateNode(node, inputs);
}

function staticShape(g: Graph, input: string, attrs: Attrs): HostTensor[] | null {
  const dims = g.info(input).dims;
  const rank = dims.length;
  const norm = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const start = attrs.start?.kind === 'int' ? norm(attrs.start.value) : 0;
  const end = attrs.end?.kind === 'int' ? norm(attrs.end.value) : rank;
  const part = dims.slice(start, end);
  if (!part.every(isStatic)) return null;
  return [int64Tensor(part as number[])];
}
