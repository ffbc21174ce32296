import { expect } from 'chai';
import { withEngine } from '../../../src/core/engine-context';
import { hostTensor } from '../../../src/core/host-tensor';
import { BatchNorm2d } from '../../../src/nn/batch-norm2d';
import { ConvModule } from '../../../src/nn/conv-module';
import { Linear } from '../../../src/nn/linear';
import * as F from '../../../src/core/ops';
import type { Module } from '../../../src/core/module';
import type { Parameter } from '../../../src/core/parameter';
import type { Tensor } from '../../../src/core/tensor';
import { OnnxTracer } from '../../../src/engines/onnx/onnx-tracer';
import { optimizeGraph } from '../../../src/engines/onnx/passes/optimize';
import { expectClose, opsOf, randomTensor, runTfjs, runTraced, traceOps, useTfjs } from './helpers/parity';

function names(...modules: Module[]): Map<Parameter, string> {
  return new Map(modules.flatMap((m, i) => [...m.namedState(`m${i}`)].map(([k, p]) => [p, k] as [Parameter, string])));
}

/** Trace fn over one [1, c, h, w] input with state-dict names, optimise, return the graph. */
function trace(fn: (x: Tensor) => Tensor | Tensor[], shape: number[], paramNames = new Map<Parameter, string>()) {
  const tracer = new OnnxTracer({ paramNames });
  const x = tracer.input('input', shape);
  const outs = withEngine(tracer, () => fn(x));
  (Array.isArray(outs) ? outs : [outs]).forEach((t, i) => tracer.output(`out${i}`, t));
  const report = optimizeGraph(tracer.graph);
  return { graph: tracer.graph, report };
}

function setValues(p: Parameter, values: number[]) {
  p.set(Float32Array.from(values));
}

describe('onnx export passes', function () {
  before(useTfjs);

  it('folds eval-mode BN into the conv before it: hand-computed weights, state-dict names kept', () => {
    const m = new ConvModule(1, 2, 1, { normCfg: { type: 'BN' } }).eval();
    const bn = m.norm as BatchNorm2d;
    setValues(m.conv.weight, [2, -1]);
    setValues(bn.weight!, [3, 0.5]);
    setValues(bn.bias!, [1, -2]);
    setValues(bn.runningMean, [0.5, 4]);
    setValues(bn.runningVar, [4 - 1e-5, 1 - 1e-5]);
    const { graph, report } = trace((x) => m.forward(x), [1, 1, 2, 2], names(m));
    expect(report.batchNormsFolded).to.equal(1);
    expect(opsOf(graph)).to.deep.equal(['Conv', 'Relu']);
    // s = gamma / sqrt(var + eps) = [1.5, 0.5]; W' = W * s; b' = (0 - mean) * s + beta
    const w = graph.initializers.get('m0.conv.weight')!;
    const b = graph.initializers.get('m0.conv.bias')!;
    expect(Array.from(w.data as Float32Array)).to.deep.equal([3, -0.5]);
    expect(Array.from(b.data as Float32Array)).to.deep.equal([0.25, -4]);
    expect([...graph.initializers.keys()].sort()).to.deep.equal(['m0.conv.bias', 'm0.conv.weight']);
  });

  it('keeps the BN when the conv output has another reader, or is itself an output', () => {
    const m = new ConvModule(2, 2, 3, { padding: 1, normCfg: { type: 'BN' }, actCfg: null }).eval();
    const shared = trace((x) => {
      const y = m.conv.forward(x);
      return F.add(m.norm!.forward(y), y);
    }, [1, 2, 4, 4]);
    expect(opsOf(shared.graph)).to.deep.equal(['Conv', 'BatchNormalization', 'Add']);
    const exposed = trace((x) => {
      const y = m.conv.forward(x);
      return [y, m.norm!.forward(y)];
    }, [1, 2, 4, 4]);
    expect(opsOf(exposed.graph)).to.deep.equal(['Conv', 'BatchNormalization']);
  });

  it('folded conv + BN still matches tfjs', async () => {
    const m = new ConvModule(3, 4, 3, { padding: 1, stride: 2, normCfg: { type: 'BN' } }).eval();
    const bn = m.norm as BatchNorm2d;
    bn.runningMean.fill((i) => 0.1 * i - 0.2);
    bn.runningVar.fill((i) => 0.5 + 0.3 * i);
    bn.weight!.fill((i) => 1 + 0.25 * i);
    const fn = (x: Tensor) => m.forward(x);
    const t = await traceOps(fn, [{ name: 'input', value: randomTensor([2, 3, 9, 7], 1) }]);
    const x = randomTensor([2, 3, 9, 7], 1);
    expectClose(await runTraced(t, [x], ['input']), runTfjs(fn, [x]), { atol: 1e-5 });
    expect(opsOf(t.graph)).to.deep.equal(['Conv', 'Relu']);
    await t.model.dispose();
  });

  it('folds constant subgraphs: a linear weight transpose becomes a transposed initializer', () => {
    const fc = new Linear(3, 2);
    setValues(fc.weight, [1, 2, 3, 4, 5, 6]);
    const { graph } = trace((x) => fc.forward(F.reshape(x, [1, 4, 3])), [1, 1, 4, 3], names(fc));
    expect(opsOf(graph)).to.deep.equal(['Reshape', 'MatMul', 'Add']);
    const wt = graph.initializers.get(graph.nodes[1].inputs[1])!;
    expect([...wt.shape]).to.deep.equal([3, 2]);
    expect(Array.from(wt.data as Float32Array)).to.deep.equal([1, 4, 2, 5, 3, 6]);
  });

  it('folds arithmetic on constants into one initializer', () => {
    const { graph } = trace((x) => {
      const c = F.constant(hostTensor('float32', [1, 2, 1, 1], Float32Array.of(1, 4)));
      return F.mul(x, F.sqrt(F.add(c, 3)));
    }, [1, 2, 2, 2]);
    expect(opsOf(graph)).to.deep.equal(['Mul']);
    const k = graph.initializers.get(graph.nodes[0].inputs[1])!;
    expect(Array.from(k.data as Float32Array)).to.deep.equal([2, Math.sqrt(7)].map(Math.fround));
  });

  it('drops nodes and initializers no output depends on', () => {
    const unused = new ConvModule(2, 2, 1);
    const { graph, report } = trace((x) => {
      unused.forward(x);
      return F.relu(x);
    }, [1, 2, 3, 3], names(unused));
    expect(opsOf(graph)).to.deep.equal(['Relu']);
    expect(graph.initializers.size).to.equal(0);
    expect(report.deadNodesRemoved).to.equal(2);
  });

  it('an output that is the input itself, or returned twice, keeps every name', () => {
    const { graph } = trace((x) => {
      const y = F.relu(x);
      return [x, y, y];
    }, [1, 1, 2, 2]);
    expect(graph.outputs.map((o) => o.name)).to.deep.equal(['out0', 'out1', 'out2']);
    expect(opsOf(graph).sort()).to.deep.equal(['Identity', 'Identity', 'Relu']);
  });
});
