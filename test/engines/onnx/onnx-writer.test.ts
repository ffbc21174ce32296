import { expect } from 'chai';
import { hostTensor } from '../../../src/core/host-tensor';
import { attr, Graph, int64Tensor } from '../../../src/engines/onnx/graph';
import * as D from '../../../src/engines/onnx/sym-dim';
import { encodeOnnx, irVersionFor, readOnnxSummary } from '../../../src/export/onnx-writer';
import { OnnxModel } from '../../../src/runtime/onnx-model';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { onnx } = require('onnx-proto') as typeof import('onnx-proto');

/** input [batch, 2] → Gather(rows [1, 0]) → Clip(min, max) → output; plus a bool and an int64 initializer. */
function smallGraph(): Graph {
  const g = new Graph();
  const batch = D.sym('batch');
  g.addInput('input', 'float32', [batch, 2]);
  const idx = g.addInitializer('idx', int64Tensor([1, 0]));
  const lo = g.addInitializer('lo', hostTensor('float32', [], Float32Array.of(-0.5)));
  const hi = g.addInitializer('hi', hostTensor('float32', [], Float32Array.of(0.5)));
  g.addInitializer('flag', hostTensor('bool', [2], Uint8Array.of(1, 0)));
  const [gathered] = g.addNode('Gather', ['input', idx], [{ type: 'float32', dims: [batch, 2] }], { axis: attr.int(1) });
  const [clipped] = g.addNode('Clip', [gathered, lo, hi], [{ type: 'float32', dims: [batch, 2] }]);
  g.renameValue(clipped, 'output');
  g.outputs.push({ name: 'output', type: 'float32', dims: [batch, 2] });
  g.nodes[1].attrs = { note_ints: attr.ints([1, 2]), note_floats: attr.floats([0.25]), note_s: attr.string('x') };
  return g;
}

describe('ONNX writer (onnx-proto ModelProto)', () => {
  it('writes opset, IR version, producer, metadata and symbolic dims as dim_param', () => {
    const bytes = encodeOnnx(smallGraph(), { opset: 17, producerVersion: '1.2.3', metadata: { hrdet_version: '1.2.3', class_names: '["a"]' } });
    const m = onnx.ModelProto.decode(bytes);
    expect(Number(m.irVersion)).to.equal(8);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).to.deep.equal([['', 17]]);
    expect([m.producerName, m.producerVersion]).to.deep.equal(['hrdet', '1.2.3']);
    expect(m.metadataProps.map((p) => [p.key, p.value])).to.deep.equal([
      ['hrdet_version', '1.2.3'],
      ['class_names', '["a"]'],
    ]);
    const dims = m.graph!.input![0].type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(dims).to.deep.equal(['batch', 2]);
    expect(m.graph!.input!.map((i) => i.name)).to.deep.equal(['input']); // initializers are not inputs
    const s = readOnnxSummary(bytes);
    expect(s.outputs).to.deep.equal([{ name: 'output', elemType: 1, dims: ['batch', 2] }]);
    expect([...s.ops]).to.deep.equal([
      ['Gather', 1],
      ['Clip', 1],
    ]);
  });

  it('stores initializers as little-endian raw data with their element types', () => {
    const m = onnx.ModelProto.decode(encodeOnnx(smallGraph(), { opset: 17 }));
    const init = new Map(m.graph!.initializer!.map((t) => [t.name, t]));
    const idx = init.get('idx')!;
    expect(idx.dataType).to.equal(7);
    expect(Array.from(new BigInt64Array(new Uint8Array(idx.rawData!).buffer))).to.deep.equal([1n, 0n]);
    expect(init.get('flag')!.dataType).to.equal(9);
    expect(Array.from(init.get('flag')!.rawData!)).to.deep.equal([1, 0]);
    expect(init.get('lo')!.dims).to.deep.equal([]);
    expect(new Float32Array(new Uint8Array(init.get('hi')!.rawData!).buffer)[0]).to.equal(0.5);
  });

  it('writes every attribute kind', () => {
    const m = onnx.ModelProto.decode(encodeOnnx(smallGraph(), { opset: 17 }));
    const [gather, clip] = m.graph!.node!;
    expect(gather.attribute!.map((a) => [a.name, a.type, Number(a.i)])).to.deep.equal([['axis', 2, 1]]);
    const byName = new Map(clip.attribute!.map((a) => [a.name, a]));
    expect(byName.get('note_ints')!.ints!.map(Number)).to.deep.equal([1, 2]);
    expect(byName.get('note_floats')!.floats).to.deep.equal([0.25]);
    expect(Buffer.from(byName.get('note_s')!.s!).toString()).to.equal('x');
  });

  it('the file runs in onnxruntime at any batch size', async () => {
    const g = smallGraph();
    g.nodes[1].attrs = {};
    const model = await OnnxModel.load(encodeOnnx(g, { opset: 17 }), { provider: 'cpu' });
    try {
      const out = await model.run(hostTensor('float32', [3, 2], Float32Array.of(1, -1, 0.25, 0.1, -2, 0)));
      expect(Array.from(out.get('output')!.data as Float32Array)).to.deep.equal([-0.5, 0.5, 0.1, 0.25, 0, -0.5].map(Math.fround));
    } finally {
      await model.dispose();
    }
  });

  it('IR version follows the opset', () => {
    expect([16, 17, 18, 19, 20, 21].map(irVersionFor)).to.deep.equal([8, 8, 8, 9, 9, 10]);
  });
});
