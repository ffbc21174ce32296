import { pathToFileURL } from 'node:url';
import sharp from 'sharp';

/** The parts of vega-lite and vega used here (both packages are ES modules only). */
interface VegaLite {
  compile(spec: Record<string, unknown>): { spec: unknown };
}
interface Vega {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, options: { renderer: 'none' }) => { toSVG(): Promise<string>; finalize(): void };
}

// A real dynamic import: TypeScript's CommonJS output would turn `import()` into `require()`,
// which cannot load these packages (vega-lite's module graph has top-level await).
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;

async function loadModule<T>(name: string): Promise<T> {
  return (await importModule(pathToFileURL(require.resolve(name)).href)) as T;
}

/** Render a Vega-Lite spec to SVG text with vega's headless SVG renderer (no canvas needed). */
export async function renderVegaLiteSvg(spec: Record<string, unknown>): Promise<string> {
  const [vl, vega] = await Promise.all([loadModule<VegaLite>('vega-lite'), loadModule<Vega>('vega')]);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterise SVG text to PNG bytes (sharp: libvips with librsvg) at `density` dpi (72: one pixel per SVG unit). */
export function svgToPng(svg: string, density = 72): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density }).png().toBuffer();
}
