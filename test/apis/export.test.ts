import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '../../src/apis/build-model';
import { exportOnnx, ExportVerificationError, type ExportResult } from '../../src/apis/export';
import { UserError } from '../../src/core/errors';
import type { HostTensor } from '../../src/core/host-tensor';
import { seed } from '../../src/core/random';
import { dimToString } from '../../src/engines/onnx/sym-dim';
import { readOnnxSummary } from '../../src/export/onnx-writer';
import type { BaseModel } from '../../src/models/base-model';
import { OnnxModel } from '../../src/runtime/onnx-model';
import { expectNear, fixtureModel, loadFixtureCheckpoint, readTensors, SHARED_HRNET, type FixtureName } from '../fixtures/hrnet/helpers';
import { useTfjs } from '../engines/onnx/helpers/parity';

/** Ops an HRNet/FPN export may contain after the export passes (what the PyTorch exporter emits for them). */
const ALLOWED = new Set(['Conv', 'Relu', 'Add', 'Resize', 'Concat', 'AveragePool', 'MaxPool', 'GlobalAveragePool', 'Gemm', 'Reshape', 'Flatten', 'Shape']);

function expectCleanGraph(r: ExportResult): void {
  const ops = [...r.ops.keys()];
  expect(ops.filter((op) => !ALLOWED.has(op)), 'unexpected ops').to.deep.equal([]);
  expect(ops).to.not.include.members(['BatchNormalization', 'Transpose', 'Cast', 'Identity']);
}

async function runOnnx(bytes: Uint8Array, input: HostTensor): Promise<Map<string, HostTensor>> {
  const m = await OnnxModel.load(bytes, { provider: 'cpu' });
  try {
    return await m.run({ input });
  } finally {
    await m.dispose();
  }
}

describe('exportOnnx: the HRNet fixtures through onnxruntime', function () {
  before(useTfjs);

  const families: FixtureName[] = ['pose_tiny', 'seg_tiny', 'cls_tiny', 'mmdet_tiny'];
  for (const name of families) {
    describe(name, function () {
      let model: BaseModel;
      let io: Map<string, HostTensor>;
      before(async function () {
        model = await fixtureModel(name);
        await loadFixtureCheckpoint(model, name, 'state_dict.pth');
        io = await readTensors(join(SHARED_HRNET, name, 'io.safetensors'));
      });

      it('static export: reproduces the official outputs within the fixture tolerance; BN folded, no stray ops', async function () {
        const input = io.get('input')!;
        const r = await exportOnnx(model, { shape: input.shape.slice(1) });
        expect(r.verification?.passed).to.equal(true);
        expect(r.inputs[0].dims).to.deep.equal([...input.shape]);
        expectCleanGraph(r);
        expect(r.passes.batchNormsFolded).to.be.greaterThan(0);
        const out = await runOnnx(r.bytes, input);
        expect([...out.keys()]).to.deep.equal(model.outputNames());
        let compared = 0;
        for (const [k, ref] of io) {
          if (!out.has(k)) continue;
          expectNear(out.get(k)!, ref, `onnx ${k}`);
          compared++;
        }
        expect(compared).to.be.greaterThan(0);
      });

      it('dynamic export: same at the fixture shape, matches tfjs at another batch and size', async function () {
        const input = io.get('input')!;
        const r = await exportOnnx(model, { shape: input.shape.slice(1), dynamic: true });
        expect(r.inputs[0].dims.map(dimToString)).to.deep.equal(['batch', String(input.shape[1]), 'height', 'width']);
        expect(r.verification!.runs).to.have.length(2);
        const [, other] = r.verification!.runs;
        expect(other.shape[0]).to.equal(2);
        expect(other.shape.slice(2)).to.not.deep.equal(input.shape.slice(2));
        expect(other.outputs.every((o) => o.ok)).to.equal(true);
        expectCleanGraph(r);
        const out = await runOnnx(r.bytes, input);
        for (const [k, ref] of io) if (out.has(k)) expectNear(out.get(k)!, ref, `onnx ${k}`);
      });
    });
  }
});

describe('exportOnnx: ResNet + FPN, metadata, failures', function () {
  let built: Awaited<ReturnType<typeof buildModel>>;
  const config = {
    input_shape: [3, 64, 96],
    classes: ['person', 'bicycle'],
    model: {
      type: 'FeaturePyramid',
      backbone: { type: 'ResNet', depth: 18, base_channels: 4 },
      neck: { type: 'FPN', out_channels: 8, num_outs: 5 },
      data_preprocessor: { type: 'DetDataPreprocessor', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], bgr_to_rgb: true },
    },
  };
  before(useTfjs);
  before(async function () {
    seed(3);
    built = await buildModel(config);
  });

  it('ResNet-18 + FPN exports dynamically; FPN upsamples to the lateral size even at sizes not divisible by 32', async function () {
    const r = await exportOnnx(built.model, { shape: [3, 64, 96], dynamic: true, config: built.config });
    expectCleanGraph(r);
    expect(r.outputs.map((o) => o.name)).to.deep.equal(built.model.outputNames());
    expect(r.warnings).to.deep.equal([]);
    // 70x50 is not a multiple of the stride: the traced graph must follow the laterals' sizes
    const odd = await exportOnnx(built.model, { shape: [3, 70, 50], dynamic: true, verify: { seed: 5 } });
    expect(odd.verification!.passed).to.equal(true);
  });

  it('writes metadata: version, config, class names and input normalisation', async function () {
    const r = await exportOnnx(built.model, { shape: [3, 64, 64], config: built.config, metadata: { note: 'x' }, verify: false });
    const s = readOnnxSummary(r.bytes);
    expect(s.opset).to.equal(17);
    expect(s.producer).to.match(/^hrdet \d+\.\d+\.\d+/);
    expect(s.metadata.hrdet_version).to.equal(JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')).version);
    expect(JSON.parse(s.metadata.class_names)).to.deep.equal(['person', 'bicycle']);
    expect(JSON.parse(s.metadata.input_normalization)).to.deep.include({ mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], bgr_to_rgb: true });
    expect(JSON.parse(s.metadata.config).model.type).to.equal('FeaturePyramid');
    expect(s.metadata.input_layout).to.equal('NCHW');
    expect(s.metadata.note).to.equal('x');
    expect(s.inputs).to.deep.equal([{ name: 'input', elemType: 1, dims: [1, 3, 64, 64] }]);
  });

  it('--batch and --opset reach the graph', async function () {
    const r = await exportOnnx(built.model, { shape: [3, 32, 32], batch: 2, opset: 18, verify: false });
    const s = readOnnxSummary(r.bytes);
    expect(s.opset).to.equal(18);
    expect(s.inputs[0].dims).to.deep.equal([2, 3, 32, 32]);
    expect(s.outputs[0].dims[0]).to.equal(2);
  });

  it('fails loudly past the tolerance and writes nothing', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'hrdet-export-'));
    const out = join(dir, 'model.onnx');
    try {
      let error: unknown;
      try {
        await exportOnnx(built.model, { shape: [3, 32, 32], out, verify: { rel: 1e-12 } });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ExportVerificationError);
      expect((error as Error).message).to.match(/does not reproduce the tfjs forward \(nothing written\): backbone\.0 at \[1, 3, 32, 32\]/);
      expect(existsSync(out)).to.equal(false);
      const ok = await exportOnnx(built.model, { shape: [3, 32, 32], out });
      expect(readFileSync(out)).to.have.length(ok.bytes.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad shapes and opsets with user errors', async function () {
    const fails = async (o: Parameters<typeof exportOnnx>[1]) => {
      try {
        await exportOnnx(built.model, { ...o, verify: false });
      } catch (e) {
        expect(e).to.be.instanceOf(UserError);
        return (e as Error).message;
      }
      throw new Error('expected a failure');
    };
    expect(await fails({ shape: [1, 32, 32] })).to.match(/takes 3 input channels/);
    expect(await fails({ shape: [3, 32, 32], opset: 11 })).to.match(/opset 11 is not supported: use 16 to 21/);
    expect(await fails({ shape: [3, 0, 32] })).to.match(/three positive integers/);
  });
});
