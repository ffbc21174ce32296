/**
 * hrdet's COCOeval against pycocotools on a COCO-val-sized case made here: 5,000 images of
 * 480-640 px, ~36,000 polygon annotations (about 1% crowd regions as uncompressed RLE) over 80
 * categories, areas spread over COCO's small / medium / large, and 100 detections per image
 * (jittered copies of the objects plus false positives, scores with 3 decimals so ties occur),
 * as box results and as mask results (compressed RLE, no bbox key, as mmdetection evaluates).
 *
 * Each side runs in a process of its own on the same files and is timed from reading the JSON
 * files to the summary (load GT, load results, evaluate, accumulate, summarize). The peer is
 * pycocotools built from cocoapi's PythonAPI: set HRDET_PYCOCOTOOLS to the directory holding
 * the `pycocotools` package (and HRDET_PYTHON to the interpreter, default /usr/bin/python3);
 * without it the peer is skipped with a note. Target: hrdet >= 3x faster, the same numbers.
 *
 *   node dist/bench/coco-eval-bench.js [--images 5000] [--dir /tmp/hrdet-coco-bench-5000] [--regenerate]
 *        [--out bench/results/coco-eval-bench.json]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evaluateCoco, type IouType } from '../src/evaluation/coco';
import { rleArea, rleFromPolygon, rleToString } from '../src/structures/mask';

const ROOT = path.resolve(__dirname, '../..');
const TYPES: IouType[] = ['bbox', 'segm'];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** mulberry32: a small seeded generator, so the case is the same in every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Poly = number[];

function blob(r: () => number, cx: number, cy: number, rx: number, ry: number): Poly {
  const k = 8 + Math.floor(r() * 9);
  const out: number[] = [];
  for (let j = 0; j < k; j++) {
    const a = (2 * Math.PI * j) / k;
    const s = 0.75 + 0.25 * r();
    out.push(+(cx + rx * s * Math.cos(a)).toFixed(2), +(cy + ry * s * Math.sin(a)).toFixed(2));
  }
  return out;
}

function polyArea(p: Poly): number {
  let s = 0;
  for (let i = 0; i < p.length; i += 2) {
    const j = (i + 2) % p.length;
    s += p[i] * p[j + 1] - p[j] * p[i + 1];
  }
  return Math.abs(s) / 2;
}

function polyBox(p: Poly, w: number, h: number): number[] {
  const xs = p.filter((_, i) => i % 2 === 0).map((v) => Math.min(Math.max(v, 0), w));
  const ys = p.filter((_, i) => i % 2 === 1).map((v) => Math.min(Math.max(v, 0), h));
  const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
  return [x0, y0, +(Math.max(...xs) - x0).toFixed(2), +(Math.max(...ys) - y0).toFixed(2)];
}

function makeCase(dir: string, numImages: number): Record<string, number> {
  const r = rng(2017);
  const images = [];
  const annotations = [];
  const bboxRes = [];
  const segmRes = [];
  const categories = Array.from({ length: 80 }, (_, i) => ({ id: i + 1, name: `class${i + 1}`, supercategory: 'thing' }));
  let annId = 1;
  for (let im = 1; im <= numImages; im++) {
    const [w, h] = r() < 0.5 ? [640, 480] : [480 + Math.floor(r() * 161), 480 + Math.floor(r() * 161)];
    images.push({ id: im, width: w, height: h, file_name: `${String(im).padStart(12, '0')}.jpg` });
    const objects: { cat: number; poly: Poly }[] = [];
    const n = 1 + Math.floor(r() * 13.4);
    for (let o = 0; o < n; o++) {
      const side = Math.exp(Math.log(6) + r() * (Math.log(260) - Math.log(6))); // ~sqrt(area), log-uniform
      const rx = (side / 2) * (0.6 + 0.8 * r());
      const ry = (side * side) / 4 / rx;
      const poly = blob(r, r() * w, r() * h, rx, ry);
      const cat = 1 + Math.floor(r() * 80);
      objects.push({ cat, poly });
      if (r() < 0.01) {
        const rle = rleFromPolygon(poly, h, w);
        annotations.push({ id: annId++, image_id: im, category_id: cat, iscrowd: 1, area: rleArea(rle),
          bbox: polyBox(poly, w, h), segmentation: { size: [h, w], counts: Array.from(rle.counts) } });
      } else {
        annotations.push({ id: annId++, image_id: im, category_id: cat, iscrowd: 0, area: +polyArea(poly).toFixed(2),
          bbox: polyBox(poly, w, h), segmentation: [poly] });
      }
    }
    for (let d = 0; d < 100; d++) {
      let cat: number;
      let poly: Poly;
      let score: number;
      if (d < objects.length * 3 && r() < 0.8) {
        const o = objects[d % objects.length];
        const jitter = 0.15 * (d < objects.length ? 0.3 : 1);
        poly = o.poly.map((v) => +(v * (1 + jitter * (r() - 0.5) * 0.2) + jitter * 8 * (r() - 0.5)).toFixed(2));
        cat = r() < 0.9 ? o.cat : 1 + Math.floor(r() * 80);
        score = +(0.3 + 0.7 * r()).toFixed(3);
      } else {
        const side = Math.exp(Math.log(6) + r() * (Math.log(200) - Math.log(6)));
        poly = blob(r, r() * w, r() * h, side / 2, side / 2);
        cat = 1 + Math.floor(r() * 80);
        score = +(0.5 * r()).toFixed(3);
      }
      bboxRes.push({ image_id: im, category_id: cat, bbox: polyBox(poly, w, h), score });
      segmRes.push({ image_id: im, category_id: cat, segmentation: { size: [h, w], counts: rleToString(rleFromPolygon(poly, h, w)) }, score });
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'gt.json'), JSON.stringify({ info: {}, licenses: [], images, annotations, categories }));
  fs.writeFileSync(path.join(dir, 'dt_bbox.json'), JSON.stringify(bboxRes));
  fs.writeFileSync(path.join(dir, 'dt_segm.json'), JSON.stringify(segmRes));
  return { images: images.length, annotations: annotations.length, crowd: annotations.filter((a) => a.iscrowd).length,
    categories: 80, detections: bboxRes.length };
}

const PEER = `
import contextlib, io, json, sys, time
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
gt_file, dt_file, iou_type = sys.argv[1:4]
t1 = time.perf_counter()
c0 = time.process_time()
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(gt_file)
    dt = gt.loadRes(dt_file)
    t2 = time.perf_counter()
    ev = COCOeval(gt, dt, iou_type)
    ev.evaluate()
    t3 = time.perf_counter()
    ev.accumulate()
    ev.summarize()
t4 = time.perf_counter()
print(json.dumps({'stats': [float(v) for v in ev.stats], 'load_s': t2 - t1, 'evaluate_s': t3 - t2,
                  'accumulate_summarize_s': t4 - t3, 'total_s': t4 - t1, 'cpu_s': time.process_time() - c0}))
`;

/** One side in a child process: `--run-hrdet gt dt type` prints the same JSON shape as the peer. */
function runHrdetChild(gtFile: string, dtFile: string, iouType: IouType): void {
  const t1 = performance.now();
  const c0 = process.cpuUsage();
  const gt = JSON.parse(fs.readFileSync(gtFile, 'utf8'));
  const dt = JSON.parse(fs.readFileSync(dtFile, 'utf8'));
  const r = evaluateCoco(gt, dt, iouType);
  const t4 = performance.now();
  const cpu = process.cpuUsage(c0);
  process.stdout.write(JSON.stringify({ stats: r.stats, total_s: (t4 - t1) / 1000, cpu_s: (cpu.user + cpu.system) / 1e6 }));
}

function side(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { stats: number[]; total_s: number; cpu_s: number; wall_s: number } {
  const t = performance.now();
  const p = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  const wall = (performance.now() - t) / 1000;
  if (p.status !== 0) throw new Error(`${cmd} failed: ${p.stderr}`);
  return { ...JSON.parse(p.stdout), wall_s: wall };
}

function main(): void {
  if (process.argv[2] === '--run-hrdet') return runHrdetChild(process.argv[3], process.argv[4], process.argv[5] as IouType);
  const numImages = Number(arg('images', '5000'));
  const dir = arg('dir', path.join(os.tmpdir(), `hrdet-coco-bench-${numImages}`));
  const out = arg('out', path.join(ROOT, 'bench/results/coco-eval-bench.json'));
  // the case is deterministic: one made earlier in the same folder is reused
  const caseFile = path.join(dir, 'case.json');
  let counts: Record<string, number>;
  if (fs.existsSync(caseFile) && !process.argv.includes('--regenerate')) {
    counts = JSON.parse(fs.readFileSync(caseFile, 'utf8'));
  } else {
    console.log(`generating the case in ${dir} ...`);
    counts = makeCase(dir, numImages);
    fs.writeFileSync(caseFile, JSON.stringify(counts));
  }
  console.log(JSON.stringify(counts));
  const peerDir = process.env.HRDET_PYCOCOTOOLS;
  const python = process.env.HRDET_PYTHON ?? '/usr/bin/python3';
  const results: Record<string, unknown> = {};
  for (const t of TYPES) {
    const gtFile = path.join(dir, 'gt.json');
    const dtFile = path.join(dir, `dt_${t}.json`);
    const load = os.loadavg();
    const ours = side(process.execPath, ['--max-old-space-size=8192', __filename, '--run-hrdet', gtFile, dtFile, t]);
    const entry: Record<string, unknown> = { hrdet_s: ours.total_s, hrdet_cpu_s: ours.cpu_s, hrdet_wall_s: ours.wall_s, stats: ours.stats, loadavg_before: load };
    if (peerDir) {
      const env = { ...process.env, PYTHONPATH: peerDir };
      const peer = side(python, ['-c', PEER, gtFile, dtFile, t], env);
      entry.pycocotools_s = peer.total_s;
      entry.pycocotools_wall_s = peer.wall_s;
      entry.pycocotools_stages_s = peer;
      entry.pycocotools_cpu_s = peer.cpu_s;
      entry.speedup = peer.total_s / ours.total_s;
      // CPU seconds are less at the mercy of a loaded, shared machine than elapsed ones
      entry.speedup_cpu = peer.cpu_s / ours.cpu_s;
      entry.max_abs_stat_diff = Math.max(...ours.stats.map((v, i) => Math.abs(v - peer.stats[i])));
      delete (peer as { stats?: unknown }).stats;
    } else {
      entry.note = 'pycocotools not timed: set HRDET_PYCOCOTOOLS to a cocoapi PythonAPI build';
    }
    entry.loadavg_after = os.loadavg();
    results[t] = entry;
    console.log(t, JSON.stringify(entry));
  }
  const report = { bench: 'coco-eval', date: new Date().toISOString(), cpus: os.cpus().length, case: counts, results };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`written ${out}`);
}

main();
