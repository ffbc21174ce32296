/**
 * A backbone registered from outside hrdet: a small strided ConvNet that declares its
 * outputs (channels, stride) so a shipped neck can be built on top of it.
 *
 * Loaded by `custom_imports` in config.json (or `--plugin tiny-convnet.ts`); it registers
 * in the scope named after this file, `tiny-convnet.TinyConvNet`; as no built-in has that name,
 * a bare `TinyConvNet` reaches it too.
 */
import { BACKBONES, Backbone, ConvModule, ModuleList, z, type BuildContext, type ShapeSpec, type Tensor } from 'hrdet';

const options = z
  .object({
    in_channels: z.number().int().positive().default(3),
    widths: z.array(z.number().int().positive()).min(1).default([16, 32, 64, 128]),
    init_cfg: z.unknown().optional(),
  })
  .strict();

type Options = z.output<typeof options>;

export class TinyConvNet extends Backbone {
  private readonly stages: ModuleList<ConvModule>;
  private readonly widths: number[];

  constructor(opts: Options, _ctx: BuildContext) {
    super();
    this.widths = opts.widths;
    // the stem halves twice (stride 4), each later stage halves once more
    const stem = new ConvModule(opts.in_channels, opts.widths[0], 3, { stride: 4, padding: 1, normCfg: { type: 'BN' } });
    const stages = [stem];
    for (let i = 1; i < opts.widths.length; i++) {
      stages.push(new ConvModule(opts.widths[i - 1], opts.widths[i], 3, { stride: 2, padding: 1, normCfg: { type: 'BN' } }));
    }
    this.stages = this.addModule('stages', new ModuleList(stages));
  }

  outputShape(): ShapeSpec[] {
    return this.widths.map((channels, i) => ({ channels, stride: 4 * 2 ** i }));
  }

  forward(x: Tensor): Tensor[] {
    const outs: Tensor[] = [];
    let y = x;
    for (const stage of this.stages) {
      y = stage.forward(y);
      outs.push(y);
    }
    return outs;
  }
}

BACKBONES.register(options, (opts: Options, ctx: BuildContext) => new TinyConvNet(opts, ctx), {
  name: 'TinyConvNet',
  summary: 'a 4-stage strided ConvNet (example plugin)',
});
