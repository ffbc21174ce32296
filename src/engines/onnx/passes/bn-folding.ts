import { hostTensor } from '../../../core/host-tensor';
import type { Graph, GraphNode } from '../graph';

/**
 * Fold eval-mode BatchNormalization into the Conv before it: W' = W * s, b' = (b - mean) * s + beta
 * with s = gamma / sqrt(var + eps) per output channel. Only when the conv's output feeds the
 * BN alone (a second reader would need the unnormalised value) and every parameter is a
 * constant. Folded weights keep the conv's state-dict names. Returns the number folded.
 */
export function foldBatchNorm(g: Graph): number {
  let folded = 0;
  for (const bn of g.nodes.filter((n) => n.op === 'BatchNormalization')) {
    const producers = g.producers();
    const consumers = g.consumers();
    const x = bn.inputs[0];
    const conv = producers.get(x);
    if (!conv || conv.op !== 'Conv' || bn.outputs.length !== 1) continue;
    if ((consumers.get(x)?.length ?? 0) !== 1 || g.isGraphOutput(x)) continue;
    const consts = [...bn.inputs.slice(1, 5), conv.inputs[1], ...(conv.inputs[2] ? [conv.inputs[2]] : [])];
    if (!consts.every((c) => g.isInitializer(c))) continue;
    foldInto(g, conv, bn, consumers);
    folded++;
  }
  return folded;
}

function foldInto(g: Graph, conv: GraphNode, bn: GraphNode, consumers: Map<string, GraphNode[]>): void {
  const get = (name: string) => g.initializers.get(name)!.data as Float32Array;
  const [gamma, beta, mean, variance] = bn.inputs.slice(1, 5).map(get);
  const eps = bn.attrs.epsilon?.kind === 'float' ? bn.attrs.epsilon.value : 1e-5;
  const wName = conv.inputs[1];
  const w = g.initializers.get(wName)!;
  const cout = w.shape[0];
  const perOut = w.data.length / cout;
  const bias = conv.inputs[2] ? get(conv.inputs[2]) : new Float32Array(cout);
  const newW = new Float32Array(w.data.length);
  const newB = new Float32Array(cout);
  const wd = w.data as Float32Array;
  for (let o = 0; o < cout; o++) {
    const s = gamma[o] / Math.sqrt(variance[o] + eps);
    for (let i = 0; i < perOut; i++) newW[o * perOut + i] = wd[o * perOut + i] * s;
    newB[o] = (bias[o] - mean[o]) * s + beta[o];
  }
  const soleUse = (name: string) => (consumers.get(name)?.length ?? 0) === 1 && !g.isGraphOutput(name);
  const wOut = soleUse(wName) ? wName : g.uniqueName(`${wName}.folded`);
  g.setInitializer(wOut, hostTensor('float32', w.shape, newW));
  const bHint = wName.endsWith('.weight') ? `${wName.slice(0, -'.weight'.length)}.bias` : `${wName}.bias`;
  const bOut = conv.inputs[2] && soleUse(conv.inputs[2]) ? conv.inputs[2] : g.isInitializer(bHint) || g.values.has(bHint) ? g.uniqueName(`${bHint}.folded`) : bHint;
  g.setInitializer(bOut, hostTensor('float32', [cout], newB));
  const x = conv.outputs[0];
  conv.inputs = [conv.inputs[0], wOut, bOut];
  conv.outputs = [bn.outputs[0]];
  g.nodes.splice(g.nodes.indexOf(bn), 1);
  g.values.delete(x);
}
