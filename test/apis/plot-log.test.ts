import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { plotLog, plotScalarCurves } from '../../src/apis/plot-log';
import { UserError } from '../../src/core/errors';

/** 40 iterations of a decaying loss and lr, every 10 a validation result (iteration-based run). */
function scalarLines(scale: number): string {
  const lines: string[] = [];
  for (let step = 1; step <= 40; step++) {
    lines.push(JSON.stringify({ lr: 0.02 * (1 - step / 50), loss: scale * Math.exp(-step / 15), step }));
    if (step % 10 === 0) lines.push(JSON.stringify({ 'coco/bbox_mAP': (scale * step) / 100, data_time: 0.1, time: 0.2, step }));
  }
  return `${lines.join('\n')}\n`;
}

/** The paths vega draws for line marks: one per series. */
function linePaths(svg: string): number {
  const groups = [...svg.matchAll(/<g class="mark-line role-mark[^"]*"[^>]*>(.*?)<\/g>/gs)];
  return groups.reduce((n, g) => n + (g[1].match(/<path /g) ?? []).length, 0);
}

describe('plotLog (hrdet plot-log)', function () {
  this.timeout(60000);
  let dir: string;
  let a: string;
  let b: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hrdet-plot-'));
    a = join(dir, 'a.json');
    b = join(dir, 'b.json');
    writeFileSync(a, scalarLines(2));
    writeFileSync(b, scalarLines(1));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a 640x480 PNG that shows the curves (not a blank image)', async () => {
    const out = join(dir, 'sub', 'curve.png');
    const r = await plotLog([a], { keys: ['loss'], out, title: 'loss' });
    expect(r.curves).to.deep.equal([{ label: 'loss', file: a, key: 'loss', points: 40 }]);
    const meta = await sharp(out).metadata();
    expect([meta.format, meta.width, meta.height]).to.deep.equal(['png', 640, 480]);
    const { data, info } = await sharp(out).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    let white = 0;
    let curve = 0; // vega's first category colour, #4c78a8
    for (let i = 0; i < data.length; i += info.channels) {
      const [R, G, B] = [data[i], data[i + 1], data[i + 2]];
      if (R === 255 && G === 255 && B === 255) white++;
      if (Math.abs(R - 0x4c) < 40 && Math.abs(G - 0x78) < 40 && Math.abs(B - 0xa8) < 40) curve++;
    }
    const pixels = info.width * info.height;
    expect(white / pixels, 'a white background').to.be.above(0.7);
    expect(white / pixels, 'axes, labels and a curve drawn').to.be.below(0.99);
    expect(curve, 'pixels of the curve colour').to.be.above(100);
  });

  it('SVG: one line path per file and key, legend file-major', async () => {
    const out = join(dir, 'curves.svg');
    const r = await plotLog([a, b], { keys: ['loss', 'bbox_mAP'], out, legend: ['a loss', 'a mAP', 'b loss', 'b mAP'] });
    expect(r.curves.map((c) => [c.label, c.key, c.points])).to.deep.equal([
      ['a loss', 'loss', 40],
      ['a mAP', 'coco/bbox_mAP', 4],
      ['b loss', 'loss', 40],
      ['b mAP', 'coco/bbox_mAP', 4],
    ]);
    const svg = readFileSync(out, 'utf8');
    expect(svg.startsWith('<svg')).to.equal(true);
    expect(linePaths(svg)).to.equal(4);
    for (const name of ['a loss', 'a mAP', 'b loss', 'b mAP']) expect(svg).to.include(`>${name}</text>`);
    expect(svg).to.include('>iter</text>');
  });

  it('refuses a key no line has, naming it and the keys present; checks the options', async () => {
    const fail = (p: Promise<unknown>, pattern: RegExp) =>
      p.then(
        () => expect.fail('expected an error'),
        (e) => {
          expect(e).to.be.instanceOf(UserError);
          expect((e as Error).message).to.match(pattern);
        },
      );
    const out = join(dir, 'x.png');
    await fail(plotLog([a], { keys: ['acc'], out }), /a\.json: no line has the key 'acc'; keys present: lr, loss, coco\/bbox_mAP$/);
    await fail(plotLog([a], { keys: ['loss'], out: join(dir, 'x.jpg') }), /should end with \.png or \.svg/);
    await fail(plotLog([a, b], { keys: ['loss'], out, legend: ['one'] }), /1 name\(s\) for 2 file\(s\) x 1 key\(s\); expected 2/);
    expect(existsSync(out)).to.equal(false);
  });

  it("the run's end-of-training curve: keys the log lacks are left out", async () => {
    const out = join(dir, 'vis_data', 'curve.png');
    const r = await plotScalarCurves(a, ['loss', 'lr', 'coco/segm_mAP'], out);
    expect(r!.curves.map((c) => c.label)).to.deep.equal(['loss', 'lr']);
    expect((await sharp(out).metadata()).width).to.equal(640);
    expect(await plotScalarCurves(a, ['acc'], join(dir, 'none.png'))).to.equal(undefined);
    expect(existsSync(join(dir, 'none.png'))).to.equal(false);
  });
});
