import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../src/config/load-config';
import { fixtureDir, removeFixtureDirs } from './fixture-dir';

describe('config/loadConfig (JSON and YAML, inheritance)', () => {
  after(removeFixtureDirs);

  it('loads JSON and YAML files alike', () => {
    const dir = fixtureDir({
      'a.json': { model: { type: 'M', depth: 50 }, list: [1, 'x', null, true] },
      'a.yaml': 'model:\n  type: M\n  depth: 50\nlist: [1, x, null, true]\n',
      'a.yml': '# comment\nmodel: {type: M, depth: 50}\nlist:\n  - 1\n  - x\n  - ~\n  - true\n',
    });
    for (const f of ['a.json', 'a.yaml', 'a.yml']) {
      const loaded = loadConfig(path.join(dir, f));
      expect(loaded.config, f).to.deep.equal({ model: { type: 'M', depth: 50 }, list: [1, 'x', null, true] });
      expect(loaded.files).to.deep.equal([path.join(dir, f)]);
    }
  });

  it('YAML uses YAML 1.2 core scalars (yes stays a string) and an empty file is an empty config', () => {
    const dir = fixtureDir({ 'a.yaml': 'a: yes\nb: 0.5\nc: 1e3\n', 'empty.yaml': '# nothing here\n' });
    expect(loadConfig(path.join(dir, 'a.yaml')).config).to.deep.equal({ a: 'yes', b: 0.5, c: 1000 });
    expect(loadConfig(path.join(dir, 'empty.yaml')).config).to.deep.equal({});
  });

  it('YAML merge keys (<<) share a block; a JSON file may start with a byte order mark', () => {
    const dir = fixtureDir({
      'a.yaml': 'norm: &bn {type: BN, requires_grad: true}\nneck:\n  norm_cfg:\n    <<: *bn\n    requires_grad: false\n',
      'bom.json': '\uFEFF{"a": 1}',
    });
    expect(loadConfig(path.join(dir, 'a.yaml')).config).to.deep.equal({
      norm: { type: 'BN', requires_grad: true },
      neck: { norm_cfg: { type: 'BN', requires_grad: false } },
    });
    expect(loadConfig(path.join(dir, 'bom.json')).config).to.deep.equal({ a: 1 });
  });

  it("resolves hrdet::<path> to the package's shipped configs", () => {
    const shipped = path.resolve(__dirname, '../../../configs/_base_/necks/fpn.json');
    const dir = fixtureDir({ 'cfg.json': { _base_: 'hrdet::_base_/necks/fpn.json' } });
    const loaded = loadConfig(path.join(dir, 'cfg.json'));
    expect(loaded.files[1]).to.equal(shipped);
    expect(loaded.config).to.deep.equal(JSON.parse(fs.readFileSync(shipped, 'utf8')));
  });

  it('follows a _base_ chain across formats, nearest file winning', () => {
    const dir = fixtureDir({
      '_base_/models/net.json': { model: { type: 'M', backbone: { type: 'B', depth: 50, out: [0, 1, 2, 3] } } },
      '_base_/mid.yaml': "_base_: ./models/net.json\nmodel:\n  backbone:\n    depth: 101\n",
      'top/cfg.json': { _base_: '../_base_/mid.yaml', model: { backbone: { out: [3] } } },
    });
    const loaded = loadConfig(path.join(dir, 'top/cfg.json'));
    expect(loaded.config).to.deep.equal({ model: { type: 'M', backbone: { type: 'B', depth: 101, out: [3] } } });
    expect(loaded.files).to.deep.equal([
      path.join(dir, 'top/cfg.json'),
      path.join(dir, '_base_/mid.yaml'),
      path.join(dir, '_base_/models/net.json'),
    ]);
    expect(loaded.sources.get('model.backbone.type')).to.equal(path.join(dir, '_base_/models/net.json'));
    expect(loaded.sources.get('model.backbone.depth')).to.equal(path.join(dir, '_base_/mid.yaml'));
    expect(loaded.sources.get('model.backbone.out')).to.equal(path.join(dir, 'top/cfg.json'));
  });

  it('merges a list of bases in order, then the file over them', () => {
    const dir = fixtureDir({
      'model.json': { model: { type: 'M' } },
      'data.json': { train_dataloader: { batch_size: 2, dataset: { type: 'Coco' } } },
      'cfg.json': { _base_: ['./model.json', './data.json'], train_dataloader: { batch_size: 8 } },
    });
    expect(loadConfig(path.join(dir, 'cfg.json')).config).to.deep.equal({
      model: { type: 'M' },
      train_dataloader: { batch_size: 8, dataset: { type: 'Coco' } },
    });
  });

  it('_delete_ in a child replaces the base section', () => {
    const dir = fixtureDir({
      'base.json': { model: { backbone: { type: 'ResNet', depth: 50, frozen_stages: 1 } } },
      'cfg.yaml': '_base_: base.json\nmodel:\n  backbone:\n    _delete_: true\n    type: HRNet\n',
    });
    expect(loadConfig(path.join(dir, 'cfg.yaml')).config).to.deep.equal({ model: { backbone: { type: 'HRNet' } } });
  });

  it('substitutes {{_base_.x}} references by base values of any type, quoted or not', () => {
    const dir = fixtureDir({
      'base.json': { model: { backbone: { extra: { stage4: { num_channels: [32, 64, 128, 256] } }, depth: 50 } }, flag: false, name: 'b' },
      'cfg.json':
        '{"_base_": "base.json", "model": {"neck": {"in_channels": {{_base_.model.backbone.extra.stage4.num_channels}},' +
        ' "extra": "{{ _base_.model.backbone.extra }}", "depth": {{_base_.model.backbone.depth}}}},' +
        ' "list": [{{_base_.flag}}, "{{_base_.name}}"], "text": "{a} {{b}}"}',
      'cfg.yaml':
        '_base_: base.json\nmodel:\n  neck:\n    in_channels: {{_base_.model.backbone.extra.stage4.num_channels}}\n' +
        "    extra: '{{_base_.model.backbone.extra}}'\n    depth: {{ _base_.model.backbone.depth }}\n" +
        'list: [{{_base_.flag}}, "{{_base_.name}}"]\ntext: "{a} {{b}}"\n',
    });
    for (const f of ['cfg.json', 'cfg.yaml']) {
      const { config } = loadConfig(path.join(dir, f));
      expect((config.model as any).neck, f).to.deep.equal({
        in_channels: [32, 64, 128, 256],
        extra: { stage4: { num_channels: [32, 64, 128, 256] } },
        depth: 50,
      });
      expect(config.list, f).to.deep.equal([false, 'b']);
      expect(config.text, f).to.equal('{a} {{b}}');
    }
  });

  it("substitutes mmengine's predefined file variables", () => {
    const dir = fixtureDir({ 'my_cfg.json': { work_dir: './work_dirs/{{ fileBasenameNoExtension }}', ext: '{{fileExtname}}' } });
    expect(loadConfig(path.join(dir, 'my_cfg.json')).config).to.deep.equal({ work_dir: './work_dirs/my_cfg', ext: '.json' });
  });

  it('applies --cfg-options after inheritance and records them as the source', () => {
    const dir = fixtureDir({ 'base.json': { model: { depth: 50 } }, 'cfg.json': { _base_: 'base.json' } });
    const loaded = loadConfig(path.join(dir, 'cfg.json'), { cfgOptions: ['model.depth=18', 'model.out=[0,1]'] });
    expect(loaded.config).to.deep.equal({ model: { depth: 18, out: [0, 1] } });
    expect(loaded.sources.get('model.depth')).to.equal('--cfg-options');
  });

  it('loads an mmdetection 3 config dumped as JSON as it is', () => {
    const mmdet = {
      default_scope: 'mmdet',
      custom_imports: { imports: ['mmdet.models'], allow_failed_imports: false },
      model: {
        type: 'FasterRCNN',
        _scope_: 'mmdet',
        data_preprocessor: { type: 'DetDataPreprocessor', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], bgr_to_rgb: true, pad_size_divisor: 32 },
        backbone: {
          type: 'HRNet',
          extra: { stage1: { num_modules: 1, num_branches: 1, block: 'BOTTLENECK', num_blocks: [4], num_channels: [64] } },
          init_cfg: { type: 'Pretrained', checkpoint: 'open-mmlab://msra/hrnetv2_w32' },
        },
        neck: { type: 'HRFPN', in_channels: [32, 64, 128, 256], out_channels: 256 },
        train_cfg: { rpn: { assigner: { type: 'MaxIoUAssigner', pos_iou_thr: 0.7 } } },
        test_cfg: { rcnn: { nms: { type: 'nms', iou_threshold: 0.5 }, max_per_img: 100 } },
      },
      train_dataloader: {
        batch_size: 2,
        num_workers: 2,
        persistent_workers: true,
        sampler: { type: 'DefaultSampler', shuffle: true },
        batch_sampler: { type: 'AspectRatioBatchSampler' },
        dataset: {
          type: 'CocoDataset',
          data_root: 'data/coco/',
          ann_file: 'annotations/instances_train2017.json',
          data_prefix: { img: 'train2017/' },
          filter_cfg: { filter_empty_gt: true, min_size: 32 },
          pipeline: [
            { type: 'LoadImageFromFile', backend_args: null },
            { type: 'Resize', scale: [1333, 800], keep_ratio: true },
          ],
        },
      },
      optim_wrapper: { type: 'OptimWrapper', optimizer: { type: 'SGD', lr: 0.02, momentum: 0.9, weight_decay: 0.0001 } },
      param_scheduler: [{ type: 'LinearLR', start_factor: 0.001, by_epoch: false, begin: 0, end: 500 }],
      env_cfg: { cudnn_benchmark: false, mp_cfg: { mp_start_method: 'fork', opencv_num_threads: 0 }, dist_cfg: { backend: 'nccl' } },
      load_from: null,
      resume: false,
      launcher: 'none',
    };
    const dir = fixtureDir({ 'faster-rcnn_hrnetv2p-w32-1x_coco.json': mmdet });
    expect(loadConfig(path.join(dir, 'faster-rcnn_hrnetv2p-w32-1x_coco.json')).config).to.deep.equal(mmdet);
  });
});
