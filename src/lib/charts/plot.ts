/**
 * Chart panels as plain line-chart datasets (Chart.js reads them as they are). No Chart.js
 * import here: the component adds scales, plugins and the canvas.
 */
import { seriesColor, seriesPointStyle, withAlpha, type PointStyleName, type ThemeName } from './palette.ts';
import type { ChartPanel } from './series.ts';

export interface PlotPoint {
  x: number;
  y: number;
  /** 95% interval, drawn as error bars. */
  lo: number;
  hi: number;
  n: number;
  modelId: string;
  variant: string;
  metric: string;
}

export interface PlotDataset {
  label: string;
  data: PlotPoint[];
  borderColor: string;
  backgroundColor: string;
  /** One style, or one per point (rungs whose dtype differs from the ladder's are crossed). */
  pointStyle: PointStyleName | PointStyleName[];
  pointRadius: number | number[];
  pointHoverRadius: number;
  borderDash: number[];
  borderWidth: number;
  /** Error bars in the series colour, a little transparent. */
  errorBarColor: string;
}

export function toPlotDatasets(panel: ChartPanel, theme: ThemeName, marked: ReadonlySet<string> = new Set()): PlotDataset[] {
  return panel.series.map((s) => {
    const color = seriesColor(s.colorIndex, theme);
    const style = seriesPointStyle(s.colorIndex);
    const radius = s.dashed ? 3 : 4;
    const anyMarked = s.points.some((p) => marked.has(p.modelId));
    return {
      label: s.label,
      data: s.points.map((p) => ({ x: p.x, y: p.mean, lo: p.lo, hi: p.hi, n: p.n, modelId: p.modelId, variant: p.variant, metric: p.metric })),
      borderColor: color,
      backgroundColor: s.dashed ? withAlpha(color, 0.15) : color,
      pointStyle: anyMarked ? s.points.map((p) => (marked.has(p.modelId) ? 'crossRot' : style)) : style,
      pointRadius: anyMarked ? s.points.map((p) => (marked.has(p.modelId) ? radius + 3 : radius)) : radius,
      pointHoverRadius: 6,
      borderDash: s.dashed ? [6, 4] : [],
      borderWidth: 2,
      errorBarColor: withAlpha(color, 0.7),
    };
  });
}

/**
 * Tick label positions on a log axis: 1, 2 and 5 times powers of ten within [min, max] by
 * default; narrower charts ask for fewer (see tickMantissas) so labels don't collide.
 */
export function logTicks(min: number, max: number, mantissas: readonly number[] = [1, 2, 5]): number[] {
  if (!(min > 0) || !(max > min)) return [];
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of mantissas) {
      const v = m * 10 ** e;
      if (v >= min && v <= max) out.push(v);
    }
  }
  return out;
}

/** Mantissas of the x-axis ticks for a chart this many CSS pixels wide. */
export function tickMantissas(chartWidth: number): readonly number[] {
  return chartWidth >= 560 ? [1, 2, 5] : [1, 3];
}
