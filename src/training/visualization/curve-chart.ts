import type { CurvePoint } from './scalar-log';

export interface ChartCurve {
  label: string;
  points: CurvePoint[];
  /** Draw a marker at every point (evaluation results, as mmdetection's plot_curve does for mAP). */
  markers: boolean;
}

export interface CurveChartOptions {
  title?: string;
  xTitle: string;
  yTitle?: string;
  /** Padding on both ends of the x axis as a fraction of the data range (matplotlib's axes.xmargin). */
  xmargin: number;
  /** The whole image in pixels (matplotlib's default figure: 640x480). */
  width: number;
  height: number;
}

function xDomain(curves: readonly ChartCurve[], margin: number): [number, number] {
  const xs = curves.flatMap((c) => c.points.map((p) => p.x));
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const span = hi > lo ? hi - lo : Math.max(Math.abs(lo), 1);
  return [lo - margin * span, hi + margin * span];
}

/**
 * A Vega-Lite spec of line charts, one series per curve in the given order (legend and colours
 * follow it), sized to fit `width` x `height` including axes, title and legend.
 */
export function curveChartSpec(curves: readonly ChartCurve[], o: CurveChartOptions): Record<string, unknown> {
  const values = curves.flatMap((c) => c.points.map((p) => ({ curve: c.label, x: p.x, y: p.y, marker: c.markers })));
  const encoding = {
    x: { field: 'x', type: 'quantitative', title: o.xTitle, scale: { domain: xDomain(curves, o.xmargin), nice: false, zero: false } },
    y: { field: 'y', type: 'quantitative', title: o.yTitle ?? null, scale: { zero: false } },
    color: { field: 'curve', type: 'nominal', title: null, scale: { domain: curves.map((c) => c.label) }, legend: { orient: 'top-right', labelLimit: 400, symbolType: 'stroke' } },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: o.width,
    height: o.height,
    autosize: { type: 'fit', contains: 'padding' },
    background: 'white',
    padding: 8,
    ...(o.title ? { title: o.title } : {}),
    data: { values },
    encoding,
    layer: [
      { mark: { type: 'line', strokeWidth: 1, clip: true } },
      { transform: [{ filter: 'datum.marker' }], mark: { type: 'point', filled: true, size: 30, clip: true } },
    ],
  };
}
