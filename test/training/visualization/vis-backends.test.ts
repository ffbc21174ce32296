import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../fixture-root';
import { crc32c, maskedCrc32c } from '../../../src/training/visualization/crc32c';
import { EVENT } from '../../../src/training/visualization/event-proto';
import { LocalVisBackend } from '../../../src/training/visualization/local-vis-backend';
import { TensorboardVisBackend } from '../../../src/training/visualization/tensorboard-vis-backend';
import { readTfRecords, tfRecord } from '../../../src/training/visualization/tfrecord';
import { VIS_BACKENDS } from '../../../src/training/visualization/vis-backend';
import { buildFrom } from '../../../src/registry/build-context';
import { createContainer } from '../../../src/registry/container';
import { ConfigError } from '../../../src/core/errors';

describe('visualization backends', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hrdet-vis-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('CRC32C and TFRecord framing', () => {
    it('CRC32C check values (RFC 3720 / iSCSI test vectors)', () => {
      expect(crc32c(Buffer.from('123456789'))).to.equal(0xe3069283);
      expect(crc32c(new Uint8Array(32))).to.equal(0x8a9136aa);
      expect(crc32c(new Uint8Array(32).fill(0xff))).to.equal(0x62a8ab43);
      expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).to.equal(0x46dd794e);
    });

    it('the mask is a rotation plus a constant (TensorFlow crc32c::Mask) and can be undone', () => {
      const c = crc32c(Buffer.from('hrdet'));
      const unmask = (m: number) => {
        const r = (m - 0xa282ead8) >>> 0;
        return ((r >>> 17) | (r << 15)) >>> 0;
      };
      expect(unmask(maskedCrc32c(Buffer.from('hrdet')))).to.equal(c);
    });

    it('reading back detects a flipped bit in the data or the length, and a torn record', () => {
      const rec = tfRecord(Buffer.from('payload'));
      expect(readTfRecords(rec).map((r) => Buffer.from(r).toString())).to.deep.equal(['payload']);
      const data = Buffer.from(rec);
      data[14] ^= 1;
      expect(() => readTfRecords(data)).to.throw(/bad data CRC at byte 0/);
      const len = Buffer.from(rec);
      len[0] ^= 1;
      expect(() => readTfRecords(len)).to.throw(/bad length CRC/);
      expect(() => readTfRecords(rec.subarray(0, rec.length - 2))).to.throw(/torn record/);
    });
  });

  describe('TensorboardVisBackend', () => {
    it('writes byte for byte the event file encoded by hand from the formats (fixture)', () => {
      const times = [1700000000.5, 1700000001.25, 1700000002.0, 1700000003.0, 1700000004.0];
      const tb = new TensorboardVisBackend({ save_dir: dir }, () => times.shift()!);
      tb.addScalars({ loss: 0.5 }, 10);
      tb.addScalar('lr', 0.02, 10);
      tb.addScalar('coco/bbox_mAP', 0.375, 300);
      tb.addConfig("model = dict(type='RetinaNet')\n");
      tb.close();
      const files = readdirSync(dir);
      expect(files).to.have.length(1);
      expect(files[0]).to.match(/^events\.out\.tfevents\.1700000000\.[^.]+.*\.\d+\.\d+$/);
      const ours = readFileSync(join(dir, files[0]));
      const expected = readFileSync(join(REPO_ROOT, 'test/fixtures/training/events.out.tfevents.fixture'));
      expect(ours.equals(expected)).to.equal(true);
    });

    it('every record reads back with valid CRCs: version first, then each scalar with its step and value', () => {
      let t = 100;
      const tb = new TensorboardVisBackend({ save_dir: dir }, () => (t += 0.5));
      for (let step = 1; step <= 50; step++) tb.addScalars({ loss: 1 / step, lr: 0.01 * step }, step);
      tb.close();
      const records = readTfRecords(readFileSync(join(dir, readdirSync(dir)[0])));
      expect(records).to.have.length(101);
      const events = records.map((r) => EVENT.toObject(EVENT.decode(r), { longs: Number }) as Record<string, any>);
      expect(events[0]).to.deep.equal({ wall_time: 100.5, file_version: 'brain.Event:2' });
      for (let step = 1; step <= 50; step++) {
        const [loss, lr] = [events[2 * step - 1], events[2 * step]];
        expect(loss.step).to.equal(step);
        expect(loss.summary.value[0].tag).to.equal('loss');
        expect(loss.summary.value[0].simple_value).to.equal(Math.fround(1 / step));
        expect(lr.summary.value[0]).to.deep.equal({ tag: 'lr', simple_value: Math.fround(0.01 * step) });
      }
      expect(events[100].wall_time).to.equal(100 + 0.5 * 101);
    });
  });

  describe('LocalVisBackend', () => {
    it("appends one JSON line per call to vis_data/scalars.json: the scalars, then step (mmengine's order)", () => {
      const save = join(dir, '20261204_040000', 'vis_data');
      const local = new LocalVisBackend({ save_dir: save });
      local.addScalars({ lr: 0.02, loss: 1.5, loss_kpt: 1.5, time: 0.25 }, 50);
      local.addScalar('coco/AP', 0.71, 1);
      local.addScalars({ loss: Number.NaN, step: 7 }, 100);
      local.addConfig("optim_wrapper = dict(type='OptimWrapper')\n");
      const lines = readFileSync(join(save, 'scalars.json'), 'utf-8').split('\n');
      expect(lines).to.deep.equal([
        '{"lr":0.02,"loss":1.5,"loss_kpt":1.5,"time":0.25,"step":50}',
        '{"coco/AP":0.71,"step":1}',
        '{"loss":null,"step":7}',
        '',
      ]);
      expect(readFileSync(join(save, 'config.py'), 'utf-8')).to.equal("optim_wrapper = dict(type='OptimWrapper')\n");
    });

    it('builds from an mm* vis_backends entry with save_dir given by the visualizer', () => {
      const b = buildFrom(VIS_BACKENDS, { type: 'LocalVisBackend' }, createContainer(), 'visualizer.vis_backends[0]', undefined, { save_dir: dir });
      expect(b).to.be.instanceOf(LocalVisBackend);
      expect(() => buildFrom(VIS_BACKENDS, { type: 'WandbVisBackend' }, createContainer(), 'visualizer.vis_backends[1]', undefined, { save_dir: dir })).to.throw(
        ConfigError,
        /visualizer\.vis_backends\[1\]\.type: unknown vis backend type 'WandbVisBackend'/,
      );
    });
  });
});
