import { expect } from 'chai';
import { join } from 'node:path';
import { forwardTfjs } from '../../src/apis/forward';
import type { HostTensor } from '../../src/core/host-tensor';
import { forwardOnnx, sessionFor } from '../../src/runtime/onnx-forward';
import { expectNear, fixtureModel, loadFixtureCheckpoint, readTensors, SHARED_HRNET } from '../fixtures/hrnet/helpers';
import { useTfjs } from '../engines/onnx/helpers/parity';

describe('forwardOnnx: --engine onnx gives the answers of --engine tfjs', function () {
  before(useTfjs);

  it('seg_tiny: same outputs, names and order as the tfjs forward, and the official ones', async () => {
    const model = await fixtureModel('seg_tiny');
    await loadFixtureCheckpoint(model, 'seg_tiny', 'state_dict.pth');
    const io = await readTensors(join(SHARED_HRNET, 'seg_tiny', 'io.safetensors'));
    const input = io.get('input') as HostTensor;
    const onnx = await forwardOnnx(model, input, { provider: 'cpu' });
    const tfjs = forwardTfjs(model, input);
    expect([...onnx.keys()]).to.deep.equal([...tfjs.keys()]);
    for (const [name, ref] of tfjs) expectNear(onnx.get(name)!, ref, name);
    expectNear(onnx.get('output')!, io.get('output')!, 'official output');
    // the session is reused for the same shape
    expect(await sessionFor(model, input.shape, { provider: 'cpu' })).to.equal(await sessionFor(model, input.shape, { provider: 'cpu' }));
    await (await sessionFor(model, input.shape, { provider: 'cpu' })).dispose();
  });
});
