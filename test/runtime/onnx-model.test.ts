import { expect } from 'chai';
import { withEngine } from '../../src/core/engine-context';
import { UserError } from '../../src/core/errors';
import { hostTensor } from '../../src/core/host-tensor';
import * as F from '../../src/core/ops';
import { OnnxTracer } from '../../src/engines/onnx/onnx-tracer';
import { encodeOnnx } from '../../src/export/onnx-writer';
import { chooseProviders, CUDA_HOWTO, cudaMissingReason, parseProviderRequest } from '../../src/runtime/execution-providers';
import { describeProvider, OnnxModel } from '../../src/runtime/onnx-model';

/** y = 2x + 1 with a dynamic batch and an int64 argmax output: small enough to check by hand. */
function tinyModel(): Uint8Array {
  const tr = new OnnxTracer();
  const x = tr.input('input', [1, 2, 1, 3], 'float32', ['batch', null, null, null]);
  withEngine(tr, () => {
    const y = F.add(F.mul(x, 2), 1);
    tr.output('output', y);
    tr.output('argmax', F.argmax(y, 1));
  });
  return encodeOnnx(tr.graph, { opset: 17, metadata: { hrdet_version: 'test', class_names: '["a","b"]' } });
}

describe('OnnxModel (onnxruntime-node)', function () {
  it('runs named inputs, returns outputs in graph order, int64 as int32', async () => {
    const m = await OnnxModel.load(tinyModel(), { provider: 'cpu', intraOpThreads: 1 });
    try {
      expect(m.inputNames).to.deep.equal(['input']);
      expect(m.outputNames).to.deep.equal(['output', 'argmax']);
      expect(m.metadata.class_names).to.equal('["a","b"]');
      expect(m.inputs[0].dims).to.deep.equal(['batch', 2, 1, 3]);
      const out = await m.run({ input: hostTensor('float32', [1, 2, 1, 3], Float32Array.of(0, 1, 2, 3, -4, 0)) });
      expect([...out.keys()]).to.deep.equal(['output', 'argmax']);
      expect(Array.from(out.get('output')!.data as Float32Array)).to.deep.equal([1, 3, 5, 7, -7, 1]);
      expect(out.get('argmax')!.dtype).to.equal('int32');
      expect(Array.from(out.get('argmax')!.data as Int32Array)).to.deep.equal([1, 0, 0]);
    } finally {
      await m.dispose();
    }
  });

  it('batches single images and gives each its own result', async () => {
    const m = await OnnxModel.load(tinyModel(), { provider: 'cpu' });
    try {
      const images = [0, 1, 2, 3, 4].map((k) => hostTensor('float32', [1, 2, 1, 3], Float32Array.from({ length: 6 }, (_, i) => k * 10 + i)));
      const batched = await m.runBatched(images, 2);
      expect(batched).to.have.length(5);
      for (const [k, img] of images.entries()) {
        const alone = await m.run(img);
        expect([...batched[k].get('output')!.shape]).to.deep.equal([1, 2, 1, 3]);
        expect(Array.from(batched[k].get('output')!.data as Float32Array)).to.deep.equal(Array.from(alone.get('output')!.data as Float32Array));
      }
      expect(await m.warmup(2)).to.be.a('number');
    } finally {
      await m.dispose();
    }
  });

  it('reports unknown inputs and unreadable models as user errors', async () => {
    const m = await OnnxModel.load(tinyModel(), { provider: 'cpu' });
    try {
      let err: unknown;
      await m.run({ image: hostTensor('float32', [1, 2, 1, 3]) }).catch((e) => (err = e));
      expect(err).to.be.instanceOf(UserError);
      expect((err as Error).message).to.match(/no input 'image' \(inputs: input\)/);
    } finally {
      await m.dispose();
    }
    let err: unknown;
    await OnnxModel.load(Uint8Array.of(1, 2, 3, 4), { provider: 'cpu' }).catch((e) => (err = e));
    expect(err).to.be.instanceOf(UserError);
    err = undefined;
    await OnnxModel.load('/nonexistent/model.onnx').catch((e) => (err = e));
    expect((err as Error).message).to.match(/model\.onnx: no such file/);
  });

  describe('execution providers', () => {
    it('auto uses CUDA only where its libraries are installed, and always says which ran', async () => {
      const missing = cudaMissingReason();
      const choice = chooseProviders('auto');
      expect(choice.candidates).to.deep.equal(missing ? ['cpu'] : ['cuda', 'cpu']);
      const m = await OnnxModel.load(tinyModel());
      try {
        expect(m.provider.used).to.equal(missing ? 'cpu' : m.provider.used);
        const text = describeProvider(m.provider);
        expect(text).to.match(/^onnxruntime (CPU|CUDA)/);
        if (missing) expect(text).to.include('cuda skipped: the CUDA provider libraries are not installed');
      } finally {
        await m.dispose();
      }
    });

    it('asking for CUDA without it says how to enable it', async function () {
      if (!cudaMissingReason()) this.skip();
      let err: unknown;
      await OnnxModel.load(tinyModel(), { provider: 'cuda' }).catch((e) => (err = e));
      expect(err).to.be.instanceOf(UserError);
      expect((err as Error).message).to.include('ONNXRUNTIME_NODE_INSTALL=cuda12');
      expect(CUDA_HOWTO).to.include('ONNXRUNTIME_NODE_INSTALL=cuda12');
    });

    it('parses provider names', () => {
      expect(parseProviderRequest(undefined)).to.equal('auto');
      expect(parseProviderRequest('CPU')).to.equal('cpu');
      expect(() => parseProviderRequest('tpu')).to.throw(/expected auto, cuda or cpu/);
    });
  });
});
