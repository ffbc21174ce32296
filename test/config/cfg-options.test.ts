import { expect } from 'chai';
import { applyCfgOptions, parseCfgOptions, parseCfgValue } from '../../src/config/cfg-options';

describe('config/cfg-options', () => {
  describe('parseCfgValue (mmengine DictAction)', () => {
    const cases: Array<[string, unknown]> = [
      ['1', 1],
      ['-3', -3],
      ['1_000', 1000],
      ['0.5', 0.5],
      ['.5', 0.5],
      ['1e-3', 0.001],
      ['2.', 2],
      ['true', true],
      ['False', false],
      ['TRUE', true],
      ['None', null],
      ['null', null],
      ['pytorch', 'pytorch'],
      ['0x10', '0x10'],
      ['', ''],
      ['"1"', '1'],
      ["'true'", 'true'],
      ['"a, b"', 'a, b'],
      ['[1,2]', [1, 2]],
      ['[1, 2, 3]', [1, 2, 3]],
      ['[]', []],
      ['()', []],
      ['a,b', ['a', 'b']],
      ['a,', ['a']],
      ['1,2.5,x', [1, 2.5, 'x']],
      ['(1333,800)', [1333, 800]],
      ['[(1,2,3), [a, b], c]', [[1, 2, 3], ['a', 'b'], 'c']],
      ['[[1,2],[3,4]]', [[1, 2], [3, 4]]],
      ['[1],[2]', [[1], [2]]],
      ['["a,b", c]', ['a,b', 'c']],
      ['[true, None, "x"]', [true, null, 'x']],
    ];
    for (const [text, want] of cases) {
      it(`${JSON.stringify(text)} -> ${JSON.stringify(want)}`, () => {
        expect(parseCfgValue(text)).to.deep.equal(want);
      });
    }
  });

  it('parseCfgOptions splits at the first = and keeps order', () => {
    expect(parseCfgOptions(['model.backbone.depth=101', 'work_dir=a=b', 'x=[1,2]'])).to.deep.equal({
      'model.backbone.depth': 101,
      work_dir: 'a=b',
      x: [1, 2],
    });
  });

  describe('applyCfgOptions', () => {
    const cfg = () => ({
      model: { backbone: { depth: 50, norm_cfg: { type: 'BN' } } },
      train_pipeline: [{ type: 'Load' }, { type: 'Resize', scale: [1333, 800] }],
    });

    it('sets nested keys, creating missing objects, without touching the input', () => {
      const input = cfg();
      const out = applyCfgOptions(input, ['model.backbone.depth=101', 'model.neck.out_channels=256', 'model.backbone.norm_cfg=None']);
      expect(out.model).to.deep.equal({ backbone: { depth: 101, norm_cfg: null }, neck: { out_channels: 256 } });
      expect(input.model.backbone.depth).to.equal(50);
    });

    it('indexes lists by number', () => {
      const out = applyCfgOptions(cfg(), ['train_pipeline.1.scale=(640,480)', 'train_pipeline.0=Pad']);
      expect(out.train_pipeline).to.deep.equal(['Pad', { type: 'Resize', scale: [640, 480] }]);
    });

    it('takes parsed options too', () => {
      const out = applyCfgOptions(cfg(), { 'model.backbone': { type: 'X' } });
      expect(out.model).to.deep.equal({ backbone: { type: 'X' } });
    });
  });
});
