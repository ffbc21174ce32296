import { expect } from 'chai';
import { roiHeadWithPyramid, rpnHeadWithPyramid } from '../../../src/models/detectors/pyramid-defaults';

const LEVELS = [4, 8, 16, 32, 64].map((stride) => ({ channels: 48, stride }));

describe('pyramid defaults of two-stage heads', () => {
  it('fill the RPN in_channels and anchor strides from the pyramid, keeping what is written', () => {
    const rpn = rpnHeadWithPyramid({ type: 'RPNHead', anchor_generator: { type: 'AnchorGenerator', scales: [8] } }, LEVELS);
    expect(rpn).to.deep.equal({ type: 'RPNHead', in_channels: 48, anchor_generator: { type: 'AnchorGenerator', scales: [8], strides: [4, 8, 16, 32, 64] } });
    const written = { type: 'RPNHead', in_channels: 256, anchor_generator: { type: 'AnchorGenerator', strides: [8] } };
    expect(rpnHeadWithPyramid(written, LEVELS)).to.deep.equal(written);
  });

  it('fill the extractors (every level but the coarsest) and the heads behind them', () => {
    const roi = roiHeadWithPyramid(
      {
        type: 'StandardRoIHead',
        bbox_roi_extractor: { type: 'SingleRoIExtractor' },
        bbox_head: { type: 'Shared2FCBBoxHead' },
        mask_head: { type: 'FCNMaskHead' },
      },
      LEVELS,
    );
    expect(roi.bbox_roi_extractor).to.deep.equal({ type: 'SingleRoIExtractor', out_channels: 48, featmap_strides: [4, 8, 16, 32] });
    expect(roi.bbox_head).to.deep.equal({ type: 'Shared2FCBBoxHead', in_channels: 48 });
    // no mask extractor: the mask head pools from the box extractor (mmdetection's share_roi_extractor)
    expect(roi.mask_roi_extractor).to.equal(undefined);
    expect(roi.mask_head).to.deep.equal({ type: 'FCNMaskHead', in_channels: 48 });
  });

  it('fill each cascade stage; a written extractor width feeds its head; mixed widths fill nothing', () => {
    const roi = roiHeadWithPyramid(
      {
        type: 'CascadeRoIHead',
        bbox_roi_extractor: [{ type: 'SingleRoIExtractor', out_channels: 24 }, { type: 'SingleRoIExtractor' }],
        bbox_head: [{ type: 'Shared2FCBBoxHead' }, { type: 'Shared2FCBBoxHead', in_channels: 7 }],
      },
      LEVELS,
    );
    expect(roi.bbox_roi_extractor).to.deep.equal([
      { type: 'SingleRoIExtractor', out_channels: 24, featmap_strides: [4, 8, 16, 32] },
      { type: 'SingleRoIExtractor', out_channels: 48, featmap_strides: [4, 8, 16, 32] },
    ]);
    expect(roi.bbox_head).to.deep.equal([{ type: 'Shared2FCBBoxHead', in_channels: 24 }, { type: 'Shared2FCBBoxHead', in_channels: 7 }]);
    const mixed = [{ channels: 16, stride: 8 }, { channels: 32, stride: 16 }];
    expect(rpnHeadWithPyramid({ type: 'RPNHead' }, mixed)).to.deep.equal({ type: 'RPNHead' });
    expect(roiHeadWithPyramid({ type: 'StandardRoIHead', bbox_roi_extractor: { type: 'SingleRoIExtractor' } }, [{ channels: 16, stride: 8 }]).bbox_roi_extractor).to.deep.equal({
      type: 'SingleRoIExtractor',
      out_channels: 16,
      featmap_strides: [8],
    });
  });
});
