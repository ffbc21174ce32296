import { pathToFileURL } from 'node:url';
import sharp from 'sharp';

/** The parts of vega-lite and vega this module uses (both ship as ES modules only). */
interface VegaLite {
  compile(spec: Record<string, unknown>): { spec: unknown };
}
interface Vega {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, options: { renderer: 'none' }) => { toSVG(scale?: number): Promise<string>; finalize(): void };
}

// TypeScript's CommonJS output turns `import()` into `require()`, which cannot load vega-lite
// (its module graph has top-level await): keep a real dynamic import.
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;

let modules: Promise<[VegaLite, Vega]> | null = null;

function load(): Promise<[VegaLite, Vega]> {
  modules ??= Promise.all([importModule(pathToFileURL(require.resolve('vega-lite')).href), importModule(pathToFileURL(require.resolve('vega')).href)]) as Promise<[VegaLite, Vega]>;
  return modules;
}

/** A Vega-Lite spec drawn to SVG text by vega's headless renderer (no browser, no canvas). */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const [vl, vega] = await load();
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** SVG text rasterised to PNG (sharp: libvips with librsvg) at `density` dpi (72 = one pixel per SVG unit). */
export function svgToPng(svg: string, density = 144): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density }).png().toBuffer();
}
