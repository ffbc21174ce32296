/**
 * The architecture as a test: every import in src/ points down the layer order below, and the
 * compiled modules have no import cycle at run time. The order is written here once; the
 * README's layout section describes the same order.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** Top to bottom. A file may import its own layer or any layer below it; entries in one row are peers. */
export const LAYER_ORDER: readonly (readonly string[])[] = [
  ['index.ts'], // the package's public API
  ['cli'],
  ['apis'],
  ['components.ts'], // imports every built-in component for its registration
  ['training'],
  ['evaluation'],
  ['data'],
  ['export', 'runtime'],
  ['models'], // whole models: detectors/, pose/, segmentors/, classifiers/ and models/*.ts
  ['models/data-preprocessors'],
  ['models/heads'],
  ['models/necks'],
  ['models/backbones'],
  ['models/task-modules', 'models/losses', 'models/codecs'],
  ['structures'],
  ['nn'],
  ['engines'],
  ['io'],
  ['config'],
  ['registry'],
  ['core'],
];

const ROOT = path.resolve(__dirname, '../../..');
const SRC = path.join(ROOT, 'src');
const DIST_SRC = path.join(ROOT, 'dist/src');

function files(dir: string, ext: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return files(p, ext);
    return p.endsWith(ext) && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** The layer of a file under src/ (the most specific entry of LAYER_ORDER that contains it). */
export function layerOf(rel: string): { index: number; name: string } {
  let best: { index: number; name: string } | null = null;
  LAYER_ORDER.forEach((row, index) => {
    for (const name of row) {
      const hit = name.endsWith('.ts') ? rel === name : rel === name || rel.startsWith(`${name}/`);
      if (hit && (!best || name.length > best.name.length)) best = { index, name };
    }
  });
  if (!best) throw new Error(`src/${rel} is in no layer of LAYER_ORDER (test/architecture/layers.test.ts): add its folder there`);
  return best;
}

/** Relative imports of a TS source file (value and type imports alike), resolved to paths under src/. */
function sourceImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s+|import\(|require\()['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  return specs.map((s) => resolveTs(path.resolve(path.dirname(file), s))).filter((p): p is string => p !== null);
}

function resolveTs(p: string): string | null {
  for (const c of [`${p}.ts`, path.join(p, 'index.ts'), p]) {
    try {
      if (statSync(c).isFile()) return c;
    } catch {
      /* next candidate */
    }
  }
  return null;
}

/** Run-time edges: the `require` calls of the compiled JavaScript (type-only imports are gone). */
function runtimeGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files(DIST_SRC, '.js')) {
    const text = readFileSync(file, 'utf8');
    const deps = [...text.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)]
      .map((m) => path.resolve(path.dirname(file), m[1]))
      .map((p) => (p.endsWith('.js') ? p : statSafe(`${p}.js`) ? `${p}.js` : path.join(p, 'index.js')))
      .filter((p) => p.startsWith(DIST_SRC));
    graph.set(file, deps);
  }
  return graph;
}

function statSafe(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Strongly connected components with more than one file (or a self-import): the cycles. */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('architecture: layers and import cycles', () => {
  it('every import in src/ points to its own layer or one below', () => {
    const violations: string[] = [];
    for (const file of files(SRC, '.ts')) {
      const from = layerOf(path.relative(SRC, file));
      for (const target of sourceImports(file)) {
        const to = layerOf(path.relative(SRC, target));
        if (to.index < from.index) violations.push(`src/${path.relative(SRC, file)} (${from.name}) imports src/${path.relative(SRC, target)} (${to.name}), a layer above it`);
      }
    }
    expect(violations, violations.join('\n')).to.deep.equal([]);
  });

  it('the compiled modules have no import cycle at run time', () => {
    const found = cycles(runtimeGraph()).map((c) => c.map((f) => path.relative(DIST_SRC, f)).sort().join(' ↔ '));
    expect(found, found.join('\n')).to.deep.equal([]);
  });

  it('the check itself catches an upward import and a cycle', () => {
    expect(layerOf('models/heads/seg/fcn-head.ts').name).to.equal('models/heads');
    expect(layerOf('models/backbones/hrnet/hrnet.ts').index).to.be.greaterThan(layerOf('models/necks/fpn.ts').index);
    expect(layerOf('core/module.ts').index).to.be.greaterThan(layerOf('nn/conv2d.ts').index);
    expect(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).to.have.length(1);
    expect(cycles(new Map([['a', ['b']], ['b', []]]))).to.deep.equal([]);
  });
});
