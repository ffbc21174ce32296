import { expect } from 'chai';
import { analyzeModel } from '../../src/apis/analyze';
import { Backbone, type ShapeSpec } from '../../src/models/backbones/backbone';
import { currentEngine } from '../../src/core/engine-context';
import { UserError } from '../../src/core/errors';
import { Module } from '../../src/core/module';
import { BatchNorm2d } from '../../src/nn/batch-norm2d';
import { Sequential } from '../../src/nn/containers';
import { Conv2d } from '../../src/nn/conv2d';
import { Linear } from '../../src/nn/linear';
import { buildNormLayer } from '../../src/nn/norm';
import { ReLU } from '../../src/nn/activations';
import * as F from '../../src/core/ops';
import type { Tensor } from '../../src/core/tensor';
import { BaseModel, type NamedTensors } from '../../src/models/base-model';
import { Neck } from '../../src/models/necks/neck';

/**
 * A small classifier with hand-countable costs on a 3x32x32 input:
 *   features.0 conv 3->8 k3 s2 p1 (bias)      → 16x16   MACs 8*3*9*16*16 = 55,296   params 216+8 = 224
 *   features.1 BN(8), frozen                                                            params 16 (frozen)
 *   features.2 ReLU
 *   features.3 conv 8->16 k3 s2 p1 groups 2   → 8x8     MACs 16*4*9*8*8  = 36,864   params 576
 *   features.4 conv 16->16 k3 d2 p2 (bias)    → 8x8     MACs 16*16*9*8*8 = 147,456  params 2304+16 = 2320
 *   global pool, flatten, head linear 16->10                MACs 160                   params 170
 * Totals: MACs 239,776; params 3,306 (trainable 3,290); buffers (BN running stats, 17 values) excluded.
 */
class TinyClassifier extends BaseModel {
  readonly features: Sequential;
  readonly head: Linear;

  constructor() {
    super();
    const [, bn] = buildNormLayer({ type: 'BN', requires_grad: false }, 8);
    this.features = this.addModule(
      'features',
      new Sequential(
        new Conv2d(3, 8, 3, { stride: 2, padding: 1 }),
        bn,
        new ReLU(),
        new Conv2d(8, 16, 3, { stride: 2, padding: 1, groups: 2, bias: false }),
        new Conv2d(16, 16, 3, { padding: 2, dilation: 2 }),
      ),
    );
    this.head = this.addModule('head', new Linear(16, 10));
  }

  get inChannels(): number {
    return 3;
  }

  outputNames(): string[] {
    return [];
  }
  forwardTensor(inputs: ReadonlyMap<string, Tensor>): NamedTensors {
    const x = inputs.get('input')!;
    const f = this.features.forward(x);
    return new Map([
      ['features', f],
      ['output', this.head.forward(F.flatten(F.globalAvgPool(f)))],
    ]);
  }
}

/** A head shared by two levels (runs twice) plus an attention-style matmul done by the parent itself. */
class SharedHeadModel extends BaseModel {
  readonly shared: Conv2d;
  constructor() {
    super();
    this.shared = this.addModule('shared', new Conv2d(4, 2, 1, { bias: false }));
  }
  get inChannels(): number {
    return 4;
  }
  outputNames(): string[] {
    return [];
  }
  forwardTensor(inputs: ReadonlyMap<string, Tensor>): NamedTensors {
    const x = inputs.get('input')!;
    const a = this.shared.forward(x); // [1,2,8,8]: 2*4*64 = 512 MACs
    const b = this.shared.forward(F.maxPool2d(x, 2)); // [1,2,4,4]: 2*4*16 = 128 MACs
    const q = F.reshape(a, [2, 64]);
    const attn = F.matmul(F.transpose(q, [1, 0]), q); // [64,2]x[2,64]: 64*2*64 = 8,192 MACs
    return new Map([
      ['a', a],
      ['b', b],
      ['attn', attn],
    ]);
  }
}

class TwoLevelBackbone extends Backbone {
  readonly conv: Conv2d;
  readonly down: Conv2d;
  constructor() {
    super();
    this.conv = this.addModule('conv', new Conv2d(3, 4, 3, { padding: 1, stride: 4 }));
    this.down = this.addModule('down', new Conv2d(4, 8, 3, { padding: 1, stride: 2 }));
  }
  outputShape(): ShapeSpec[] {
    return [
      { channels: 4, stride: 4 },
      { channels: 8, stride: 8 },
    ];
  }
  forward(x: Tensor): Tensor[] {
    const a = this.conv.forward(x);
    return [a, this.down.forward(a)];
  }
}

class LateralNeck extends Neck {
  readonly l0: Conv2d;
  readonly l1: Conv2d;
  constructor() {
    super();
    this.l0 = this.addModule('l0', new Conv2d(4, 6, 1));
    this.l1 = this.addModule('l1', new Conv2d(8, 6, 1));
  }
  outputShape(): ShapeSpec[] {
    return [
      { channels: 6, stride: 4 },
      { channels: 6, stride: 8 },
    ];
  }
  forward(xs: Tensor[]): Tensor[] {
    const top = this.l1.forward(xs[1]);
    const up = F.interpolate(top, { scaleFactor: 2 });
    return [F.add(this.l0.forward(xs[0]), up), top];
  }
}

class BigKernel extends BaseModel {
  readonly body = this.addModule('body', new Sequential(new Conv2d(3, 4, 7)));
  get inChannels(): number {
    return 3;
  }
  outputNames(): string[] {
    return [];
  }
  forwardTensor(inputs: ReadonlyMap<string, Tensor>): NamedTensors {
    const x = inputs.get('input')!;
    return new Map([['output', this.body.forward(x)]]);
  }
}

class DetectLike extends BaseModel {
  readonly score: Conv2d;
  constructor(private readonly readsValues = false) {
    super();
    this.score = this.addModule('score', new Conv2d(3, 1, 1));
  }
  get inChannels(): number {
    return 3;
  }
  outputNames(): string[] {
    return [];
  }
  forwardTensor(inputs: ReadonlyMap<string, Tensor>): NamedTensors {
    const x = inputs.get('input')!;
    const s = F.reshape(this.score.forward(x), [-1]);
    const boxes = F.tile(F.reshape(s, [-1, 1]), [1, 4]);
    // host-side filtering, as some post-processing does
    if (this.readsValues) currentEngine().readSync(s);
    const keep = F.nms(boxes, s, { iouThreshold: 0.5, maxOutput: 10 });
    return new Map([['keep', keep]]);
  }
}

describe('analyzeModel', () => {
  it('counts hand-computed MACs and parameters of a small conv/linear model', () => {
    const a = analyzeModel(new TinyClassifier(), { inputShape: [3, 32, 32] });
    expect(a.macs).to.equal(55_296 + 36_864 + 147_456 + 160);
    expect(a.macsByOp).to.deep.equal({ conv2d: 55_296 + 36_864 + 147_456, conv_transpose2d: 0, linear: 0 + 160, matmul: 0 });
    expect(a.params).to.equal(3_306);
    expect(a.trainableParams).to.equal(3_290);
    expect(a.inputShapes).to.deep.equal([[1, 3, 32, 32]]);
    expect(a.outputs).to.deep.equal([
      { name: 'features', shape: [1, 16, 8, 8] },
      { name: 'output', shape: [1, 10] },
    ]);
    expect(a.partial).to.equal(false);
  });

  it('attributes counts to the running module and sums them up the tree', () => {
    const a = analyzeModel(new TinyClassifier(), { inputShape: [3, 32, 32] });
    const row = (n: string) => a.modules.find((m) => m.name === n)!;
    expect(a.modules.map((m) => m.name)).to.deep.equal([
      '',
      'features',
      'features.0',
      'features.1',
      'features.2',
      'features.3',
      'features.4',
      'head',
    ]);
    expect(row('').macs).to.equal(239_776);
    expect(row('').selfMacs).to.equal(0);
    expect(row('features').macs).to.equal(239_616);
    expect(row('features').selfMacs).to.equal(0);
    expect(row('features.0')).to.include({ type: 'Conv2d', depth: 2, params: 224, macs: 55_296, calls: 1, output: '[1, 8, 16, 16]' });
    expect(row('features.1')).to.include({ type: 'BatchNorm2d', params: 16, macs: 0 });
    expect(row('features.3')).to.include({ params: 576, macs: 36_864, output: '[1, 16, 8, 8]' });
    expect(row('features.4')).to.include({ params: 2_320, macs: 147_456 });
    expect(row('head')).to.include({ type: 'Linear', params: 170, macs: 160, output: '[1, 10]' });
    expect(row('features').params).to.equal(224 + 16 + 576 + 2_320);
  });

  it('counts a shared module once per call and a matmul in its caller', () => {
    const a = analyzeModel(new SharedHeadModel(), { inputShape: [4, 8, 8] });
    const shared = a.modules.find((m) => m.name === 'shared')!;
    expect(shared).to.include({ calls: 2, macs: 512 + 128, output: '[1, 2, 8, 8]' });
    expect(a.modules[0].selfMacs).to.equal(8_192);
    expect(a.macs).to.equal(512 + 128 + 8_192);
    expect(a.macsByOp.matmul).to.equal(8_192);
    expect(a.outputs.find((o) => o.name === 'attn')!.shape).to.deep.equal([64, 64]);
  });

  it('restores every forward method and the training mode afterwards', () => {
    const m = new TinyClassifier();
    m.train();
    const before = forwards(m);
    analyzeModel(m, { inputShape: [3, 32, 32] });
    expect(forwards(m)).to.deep.equal(before);
    expect(m.training).to.equal(true);
    expect(m.features.training).to.equal(true);
  });

  it('restores forward methods after a failure and names the innermost module that failed', () => {
    const m = new BigKernel();
    const before = forwards(m);
    expect(() => analyzeModel(m, { inputShape: [3, 5, 5] })).to.throw(
      UserError,
      /^body\.0: conv2d: a 5x5 input is too small for a 7x7 kernel/,
    );
    expect(forwards(m)).to.deep.equal(before);
    // an op the model runs itself is reported at the model
    expect(() => analyzeModel(new SharedHeadModel(), { inputShape: [4, 1, 1] })).to.throw(
      UserError,
      /^model: max pool: a 1x1 input is too small for a 2x2 window/,
    );
  });

  it('rejects a malformed input shape', () => {
    expect(() => analyzeModel(new TinyClassifier(), { inputShape: [3, 1, 0] })).to.throw(UserError, /three positive integers/);
    expect(() => analyzeModel(new TinyClassifier(), { inputShape: [32, 32] })).to.throw(UserError, /three positive integers/);
  });

  it('rejects an input with the wrong number of channels', () => {
    expect(() => analyzeModel(new TinyClassifier(), { inputShape: [1, 32, 32] })).to.throw(
      UserError,
      'the input has 1 channels but the model expects 3',
    );
  });

  it('analyses a bare backbone and a neck (with explicit input shapes)', () => {
    const b = analyzeModel(new TwoLevelBackbone(), { inputShape: [3, 64, 64] });
    // conv: 4*3*9*16*16 = 27,648; down: 8*4*9*8*8 = 18,432
    expect(b.macs).to.equal(27_648 + 18_432);
    expect(b.outputs).to.deep.equal([
      { name: 'output.0', shape: [1, 4, 16, 16] },
      { name: 'output.1', shape: [1, 8, 8, 8] },
    ]);
    const n = analyzeModel(new LateralNeck(), {
      inputShapes: [
        [1, 4, 16, 16],
        [1, 8, 8, 8],
      ],
    });
    // l0: 6*4*256 = 6,144; l1: 6*8*64 = 3,072
    expect(n.macs).to.equal(6_144 + 3_072);
    expect(n.params).to.equal(6 * 4 + 6 + 6 * 8 + 6);
    expect(() => analyzeModel(new LateralNeck(), {})).to.throw(UserError, /neck needs the shapes of its inputs/);
  });

  it('marks an analysis with nms as partial (upper-bound count) and refuses to read values', () => {
    const a = analyzeModel(new DetectLike(), { inputShape: [3, 4, 4] });
    expect(a.partial).to.equal(true);
    expect(a.outputs).to.deep.equal([{ name: 'keep', shape: [10] }]);
    expect(a.notes).to.have.length(1);
    expect(a.notes[0]).to.contain('nms keeps a data-dependent number of boxes; counted with its upper bound [10]');
    expect(() => analyzeModel(new DetectLike(true), { inputShape: [3, 4, 4] })).to.throw(
      UserError,
      /reads the values of a \[16\] tensor, which a shape-only analysis does not have/,
    );
  });

  it('counts only parameters, not buffers (BatchNorm running statistics)', () => {
    class BnOnly extends Module {
      readonly bn = this.addModule('bn', new BatchNorm2d(5));
      forward(x: Tensor): Tensor {
        return this.bn.forward(x);
      }
    }
    const a = analyzeModel(new BnOnly(), { inputShape: [5, 2, 2] });
    expect(a.params).to.equal(10);
    expect(a.macs).to.equal(0);
  });
});

/** Each module's forward function as it is now (own wrapper or the class method). */
function forwards(m: Module): unknown[] {
  return [...m.namedModules()].map(([, sub]) => (sub as unknown as { forward?: unknown }).forward);
}
