/**
 * Chart.js with only what the lab draws (line charts on a log x axis), plus two small plugins:
 * 95% interval error bars and an opaque background (so PNG exports read in any viewer).
 */
import {
  Chart,
  LineController,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type Plugin,
} from 'chart.js';
import type { PlotPoint } from '../lib/charts/plot.ts';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip);

export { Chart };

/** Vertical bars from lo to hi at every point, with short caps, in each dataset's colour. */
export const errorBarsPlugin: Plugin<'line'> = {
  id: 'emergenceErrorBars',
  afterDatasetsDraw(chart) {
    const { ctx, chartArea, scales } = chart;
    const y = scales.y;
    if (!y) return;
    ctx.save();
    ctx.beginPath();
    ctx.rect(chartArea.left, chartArea.top - 4, chartArea.right - chartArea.left, chartArea.bottom - chartArea.top + 8);
    ctx.clip();
    chart.data.datasets.forEach((dataset, di) => {
      const meta = chart.getDatasetMeta(di);
      if (meta.hidden) return;
      const color = (dataset as unknown as { errorBarColor?: string }).errorBarColor ?? String(dataset.borderColor);
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      meta.data.forEach((el, i) => {
        const p = dataset.data[i] as unknown as PlotPoint | undefined;
        if (!p || p.hi === p.lo) return;
        const top = y.getPixelForValue(p.hi);
        const bottom = y.getPixelForValue(p.lo);
        const x = el.x;
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, bottom);
        ctx.moveTo(x - 3, top);
        ctx.lineTo(x + 3, top);
        ctx.moveTo(x - 3, bottom);
        ctx.lineTo(x + 3, bottom);
        ctx.stroke();
      });
    });
    ctx.restore();
  },
};

/** Fill the canvas before drawing; the colour comes from the current theme. */
export function backgroundPlugin(color: () => string): Plugin<'line'> {
  return {
    id: 'emergenceBackground',
    beforeDraw(chart) {
      const { ctx, width, height } = chart;
      ctx.save();
      ctx.globalCompositeOperation = 'destination-over';
      ctx.fillStyle = color();
      ctx.fillRect(0, 0, width, height);
      ctx.restore();
    },
  };
}

/**
 * Write where each point was drawn (CSS pixels in the canvas) to the canvas's
 * data-positions attribute after every render, so tests can click a point without reading pixels.
 */
export const pointPositionsPlugin: Plugin<'line'> = {
  id: 'emergencePointPositions',
  afterRender(chart) {
    const positions: { x: number; y: number; model: string; variant: string; metric: string }[] = [];
    chart.data.datasets.forEach((dataset, di) => {
      chart.getDatasetMeta(di).data.forEach((el, i) => {
        const p = dataset.data[i] as unknown as PlotPoint | undefined;
        if (p) positions.push({ x: Math.round(el.x), y: Math.round(el.y), model: p.modelId, variant: p.variant, metric: p.metric });
      });
    });
    chart.canvas.dataset.positions = JSON.stringify(positions);
  },
};
