import { expect } from 'chai';
import { Compose } from '../../../src/data/transforms/compose';
import type { Results, Transform } from '../../../src/data/transforms/results';

const append = (tag: string): Transform => ({ transform: (r: Results) => ({ ...r, seen: [...((r.seen as string[]) ?? []), tag] }) });

describe('Compose', () => {
  it('runs the transforms in order, awaiting async ones', async () => {
    const later: Transform = { transform: async (r) => ({ ...r, seen: [...(r.seen as string[]), 'async'] }) };
    const r = await new Compose([append('a'), later, append('b')]).transform({});
    expect(r!.seen).to.deep.equal(['a', 'async', 'b']);
  });

  it('stops and returns null when a transform drops the sample', async () => {
    let after = false;
    const tail: Transform = { transform: (r) => ((after = true), r) };
    expect(await new Compose([append('a'), { transform: () => null }, tail]).transform({})).to.equal(null);
    expect(after).to.equal(false);
  });
});
