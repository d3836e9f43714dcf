/**
 * Files the lab downloads: the run results (same bytes as `npm run eval -- --out`), names, and
 * chart images (a panel drawn at 2× with title, legend and a footer of the run's facts).
 */
import { drawPoint } from 'chart.js/helpers';
import type { RunResult } from '../results/types.ts';
import { taskSlug } from '../tasks/imported/generate.ts';
import { getTaskKind } from '../tasks/registry.ts';
import { formatParams, modelLabel } from './format.ts';
import { seriesColor, seriesPointStyle, type PointStyleName, type ThemeName } from './palette.ts';
import type { ChartPanel } from './series.ts';

/** The results file text, formatted exactly as the CLI writes it. */
export function runResultJson(result: RunResult): string {
  return JSON.stringify(result, null, 1) + '\n';
}

function stamp(iso: string | null | undefined): string {
  const d = iso ? new Date(iso) : new Date();
  return Number.isNaN(d.getTime()) ? 'run' : d.toISOString().slice(0, 19).replace(/[:T]/g, '-');
}

export function runFileName(result: RunResult): string {
  const t = result.spec.task;
  const task = t.kind === 'arithmetic' ? t.operation : taskSlug(t.kind === 'imported' ? t.name : getTaskKind(t).shortLabel);
  return `emergence-run-${task}-${stamp(result.env.finishedAt ?? result.env.startedAt)}.json`;
}

export function chartFileName(panelId: string, resolution: number | 'all'): string {
  const safe = panelId.replace(/[^a-z0-9_-]/gi, '-');
  return `emergence-${safe}${resolution === 'all' ? '' : `-first${resolution}`}.png`;
}

// ---- PNG export of one chart panel (issue 13 item 8) ----

/** Exported charts are drawn at twice the CSS size (device pixel ratio 2), whatever the screen's. */
export const EXPORT_SCALE = 2;

/** One line of the exported legend: a series' colour, point shape and dash, and its label. */
export interface ExportLegendEntry {
  label: string;
  color: string;
  shape: PointStyleName;
  dashed: boolean;
}

/** The legend of a panel: one entry per series, plus what solid and dashed mean where both occur. */
export function exportLegend(panel: ChartPanel, theme: ThemeName): ExportLegendEntry[] {
  const seen = new Set<string>();
  const out: ExportLegendEntry[] = [];
  for (const s of panel.series) {
    if (s.points.length === 0 || seen.has(s.label)) continue;
    seen.add(s.label);
    out.push({ label: s.label, color: seriesColor(s.colorIndex, theme), shape: seriesPointStyle(s.colorIndex), dashed: s.dashed });
  }
  return out;
}

/** What the run was, for the footer: models, items, seeds, backend, date. */
export interface ExportRunInfo {
  models: readonly { id: string; params: number | null }[];
  /** Items per variant. */
  perVariant: number | null;
  taskSeed: number | null;
  bootstrapSeed: number | null;
  backend: string | null;
  /** ISO date of the run (its finish, or start), or null for "now". */
  date: string | null;
  /** Where the run came from ("this device", "shared run", …). */
  origin?: string;
}

function shortModels(models: ExportRunInfo['models']): string {
  const names = models.map((m) => `${modelLabel(m.id)}${m.params !== null ? ` (${formatParams(m.params)})` : ''}`);
  return `${models.length} model${models.length === 1 ? '' : 's'}: ${names.join(', ')}`;
}

/** The footer lines of an exported chart (the export wraps them to its width). */
export function exportFooter(info: ExportRunInfo, resolution: number | 'all' = 'all'): string[] {
  const d = info.date ? new Date(info.date) : null;
  const date = d && !Number.isNaN(d.getTime()) ? d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : 'date unknown';
  const n = info.perVariant === null ? 'n unknown' : resolution === 'all' ? `n = ${info.perVariant} items per variant` : `n = first ${resolution} of ${info.perVariant} items per variant`;
  const facts = [
    n,
    info.taskSeed === null ? null : `task seed ${info.taskSeed}`,
    info.bootstrapSeed === null ? null : `bootstrap seed ${info.bootstrapSeed}`,
    info.backend ? `backend ${info.backend}` : null,
    date,
    info.origin ?? null,
  ].filter((x): x is string => x !== null);
  return [shortModels(info.models), `${facts.join(' · ')} · Emergence Lab`];
}

/** Split text into lines no wider than maxWidth, as measured by measure(); words longer than a line stay whole. */
export function wrapText(text: string, maxWidth: number, measure: (s: string) => number): string[] {
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    const next = line ? `${line} ${w}` : w;
    if (line && measure(next) > maxWidth) {
      lines.push(line);
      line = w;
    } else {
      line = next;
    }
  }
  if (line) lines.push(line);
  return lines;
}

export interface ExportColors {
  fg: string;
  muted: string;
  panel: string;
}

export interface ExportContent {
  title: string;
  /** A sentence under the title (the headline's takeaway), or none. */
  subtitle?: string;
  /** Axis titles as Chart.js drew them (reported back; the chart image carries them). */
  axes: { x: string; y: string };
  legend: ExportLegendEntry[];
  footer: string[];
}

export interface ComposedExport {
  canvas: HTMLCanvasElement;
  /** Every text line drawn around the chart, in order (title, legend, footer), and the axis titles inside it. */
  lines: string[];
  /** CSS size of the chart area and the scale of the image. */
  cssWidth: number;
  cssHeight: number;
  scale: number;
}

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

function drawMarker(ctx: CanvasRenderingContext2D, e: ExportLegendEntry, x: number, y: number): void {
  ctx.save();
  ctx.strokeStyle = e.color;
  ctx.lineWidth = 2;
  ctx.setLineDash(e.dashed ? [5, 3] : []);
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x + 26, y);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = e.dashed ? 'transparent' : e.color;
  ctx.lineWidth = 1.5;
  // Chart.js's own marker drawing: the legend shows exactly the shape the chart draws.
  drawPoint(ctx, { pointStyle: e.shape, rotation: 0, radius: 4, borderWidth: 1.5 }, x + 13, y);
  ctx.restore();
}

/**
 * One PNG-ready canvas: title, legend (colour, shape, solid or dashed per series), the chart
 * image (already rendered at `scale` × its CSS size, axis titles included) and a footer with the
 * run's facts. Everything is laid out in CSS pixels on a context scaled by `scale`, so the image
 * is `scale` times the on-screen size and text stays sharp.
 */
export function composeExport(chartImage: CanvasImageSource, cssWidth: number, cssHeight: number, content: ExportContent, colors: ExportColors, scale = EXPORT_SCALE): ComposedExport {
  const pad = 14;
  const width = Math.max(cssWidth + 2 * pad, 320);
  const inner = width - 2 * pad;
  const measureCanvas = document.createElement('canvas').getContext('2d');
  if (!measureCanvas) throw new Error('This browser cannot draw on a canvas, so the chart cannot be exported.');
  const measureWith = (font: string) => (s: string) => {
    measureCanvas.font = font;
    return measureCanvas.measureText(s).width;
  };
  const titleFont = `600 16px ${FONT}`;
  const legendFont = `13px ${FONT}`;
  const footerFont = `11px ${FONT}`;
  const subtitleFont = `13px ${FONT}`;
  const titleLines = wrapText(content.title, inner, measureWith(titleFont));
  const subtitleLines = content.subtitle ? wrapText(content.subtitle, inner, measureWith(subtitleFont)) : [];
  // Legend entries flow left to right and wrap.
  const legendRows: { entry: ExportLegendEntry; x: number }[][] = [[]];
  let x = 0;
  const mLegend = measureWith(legendFont);
  for (const entry of content.legend) {
    const w = 32 + mLegend(entry.label) + 16;
    if (x > 0 && x + w > inner) {
      legendRows.push([]);
      x = 0;
    }
    legendRows[legendRows.length - 1].push({ entry, x });
    x += w;
  }
  const footerLines = content.footer.flatMap((l) => wrapText(l, inner, measureWith(footerFont)));
  const titleH = titleLines.length * 21 + 6 + (subtitleLines.length > 0 ? subtitleLines.length * 17 + 4 : 0);
  const legendH = content.legend.length === 0 ? 0 : legendRows.length * 19 + 6;
  const footerH = footerLines.length * 15 + 8;
  const height = pad + titleH + legendH + cssHeight + 6 + footerH + pad - 6;

  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('This browser cannot draw on a canvas, so the chart cannot be exported.');
  ctx.scale(scale, scale);
  ctx.fillStyle = colors.panel;
  ctx.fillRect(0, 0, width, height);
  ctx.textBaseline = 'alphabetic';
  let y = pad;
  /** Lines of one font, each `ascent` below the previous line's gap. */
  const textBlock = (lines: string[], font: string, ascent: number, gap: number) => {
    ctx.font = font;
    for (const l of lines) {
      y += ascent;
      ctx.fillText(l, pad, y);
      y += gap;
    }
  };
  ctx.fillStyle = colors.fg;
  textBlock(titleLines, titleFont, 17, 4);
  if (subtitleLines.length > 0) {
    textBlock(subtitleLines, subtitleFont, 14, 3);
    y += 4;
  }
  y += 6;
  ctx.font = legendFont;
  if (content.legend.length > 0) {
    for (const row of legendRows) {
      const mid = y + 9;
      for (const { entry, x: ex } of row) {
        drawMarker(ctx, entry, pad + ex, mid);
        ctx.fillStyle = colors.fg;
        ctx.fillText(entry.label, pad + ex + 32, mid + 4.5);
      }
      y += 19;
    }
    y += 6;
  }
  ctx.drawImage(chartImage, pad, y, cssWidth, cssHeight);
  y += cssHeight + 6;
  ctx.fillStyle = colors.muted;
  textBlock(footerLines, footerFont, 12, 3);
  const lines = [...titleLines, ...subtitleLines, ...content.legend.map((e) => `${e.dashed ? 'dashed' : 'solid'}: ${e.label}`), `x axis: ${content.axes.x}`, `y axis: ${content.axes.y}`, ...footerLines];
  return { canvas, lines, cssWidth, cssHeight, scale };
}
