import type { Graph } from '../graph';

/**
 * Drop nodes whose outputs reach no graph output, then initializers and value infos nothing
 * reads any more. Returns the number of nodes removed.
 */
export function eliminateDeadNodes(g: Graph): number {
  const live = new Set(g.outputs.map((o) => o.name));
  const kept: typeof g.nodes = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (!n.outputs.some((o) => live.has(o))) continue;
    kept.push(n);
    for (const inp of n.inputs) if (inp) live.add(inp);
  }
  const removed = g.nodes.length - kept.length;
  g.nodes.splice(0, g.nodes.length, ...kept.reverse());
  for (const name of [...g.initializers.keys()]) if (!live.has(name)) g.initializers.delete(name);
  const inputs = new Set(g.inputs.map((i) => i.name));
  const produced = new Set(g.nodes.flatMap((n) => n.outputs));
  for (const name of [...g.values.keys()]) {
    if (!live.has(name) && !inputs.has(name) && !produced.has(name)) g.values.delete(name);
  }
  return removed;
}
