/**
 * Shape run results into chart panels: one panel per metric (or the mirage overlay), one series
 * per task variant (and metric), one point per finished model, x = parameter count. The same
 * objects feed the Chart.js datasets and the accessible data tables, so both show one truth.
 */
import { getMetric, METRICS, type MetricInfo, type MetricKind } from '../metrics/registry.ts';
import type { GenerationMetricId } from '../metrics/types.ts';
import type { ModelRun, RunResult } from '../run/results.ts';
import { variantLabel } from './format.ts';

export interface ChartPoint {
  modelId: string;
  params: number;
  variant: string;
  metric: GenerationMetricId;
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

export interface ChartSeries {
  /** Unique within a panel: "<metric>|<variant>". */
  key: string;
  variant: string;
  metric: GenerationMetricId;
  label: string;
  /** Index into the palette: the variant's position, so a variant has one colour everywhere. */
  colorIndex: number;
  dashed: boolean;
  points: ChartPoint[];
}

export interface EmergenceEntry {
  variant: string;
  metric: GenerationMetricId;
  score: number;
}

export interface ChartPanel {
  /** The metric id, or "mirage" for the overlay. */
  id: string;
  title: string;
  description: string;
  kind: MetricKind | 'overlay';
  yLabel: string;
  /** Fixed y range from the registry (null = let the chart choose). */
  yMin: number | null;
  yMax: number | null;
  series: ChartSeries[];
  emergence: EmergenceEntry[];
}

/** Generation metrics in registry order. */
export const GENERATION_METRICS: readonly MetricInfo[] = METRICS.filter((m) => m.family === 'generation');

/** Panels shown when nothing else was chosen: a discontinuous metric paired with continuous ones. */
export const DEFAULT_PANELS: readonly string[] = ['exact_match', 'token_edit_distance', 'per_token_prob', 'target_logprob', 'mirage'];

export const MIRAGE_PANEL_ID = 'mirage';

/** Variants in the order of the spec's digit counts, falling back to first appearance in results. */
export function variantsOf(result: Pick<RunResult, 'models'> & { spec?: RunResult['spec'] }): string[] {
  const out: string[] = [];
  if (result.spec) for (const d of result.spec.task.digits) out.push(`${result.spec.task.operation}/${d}d`);
  for (const m of result.models) for (const v of m.aggregates.variants) if (!out.includes(v.variant)) out.push(v.variant);
  return out;
}

/** Finished models that can sit on a log axis (known, positive parameter count), by scale. */
export function plottableModels(models: readonly ModelRun[]): (ModelRun & { params: number })[] {
  return models
    .filter((m): m is ModelRun & { params: number } => m.status === 'done' && m.params !== null && m.params > 0)
    .sort((a, b) => a.params - b.params);
}

function seriesOf(models: readonly ModelRun[], variants: readonly string[], metric: GenerationMetricId, dashed: boolean, labelSuffix = ''): ChartSeries[] {
  const ladder = plottableModels(models);
  return variants.map((variant, colorIndex) => ({
    key: `${metric}|${variant}`,
    variant,
    metric,
    label: `${variantLabel(variant)}${labelSuffix}`,
    colorIndex,
    dashed,
    points: ladder.flatMap((m) => {
      const cell = m.aggregates.variants.find((v) => v.variant === variant)?.metrics[metric];
      return cell ? [{ modelId: m.id, params: m.params, variant, metric, mean: cell.mean, lo: cell.lo, hi: cell.hi, n: cell.n }] : [];
    }),
  }));
}

function emergenceOf(emergence: RunResult['emergence'], variants: readonly string[], metrics: readonly GenerationMetricId[]): EmergenceEntry[] {
  const out: EmergenceEntry[] = [];
  for (const metric of metrics) {
    for (const variant of variants) {
      const score = emergence[variant]?.[metric];
      if (score !== undefined) out.push({ variant, metric, score });
    }
  }
  return out;
}

/** One metric across the ladder: a series per variant. */
export function metricPanel(models: readonly ModelRun[], variants: readonly string[], metricId: GenerationMetricId, emergence: RunResult['emergence']): ChartPanel {
  const info = getMetric(metricId);
  return {
    id: metricId,
    title: info.label,
    description: info.description,
    kind: info.kind,
    yLabel: info.label,
    yMin: info.range.min,
    yMax: info.range.max,
    series: seriesOf(models, variants, metricId, false),
    emergence: emergenceOf(emergence, variants, [metricId]),
  };
}

/**
 * The mirage overlay: observed exact match (solid) next to its prediction from per-token
 * probability, p^L = exp(target log-prob) (dashed), per variant. If accuracy tracks p^L, the
 * "jump" is the nonlinearity of the metric, not of the model (Schaeffer et al. 2023).
 */
export function miragePanel(models: readonly ModelRun[], variants: readonly string[], emergence: RunResult['emergence']): ChartPanel {
  const observed = seriesOf(models, variants, 'exact_match', false, ' observed');
  const predicted = seriesOf(models, variants, 'predicted_exact_match', true, ' p^L');
  return {
    id: MIRAGE_PANEL_ID,
    title: 'Mirage overlay: exact match vs p^L',
    description: 'Solid: observed exact match. Dashed: the prediction p^L from the per-token probability p of an L-token answer.',
    kind: 'overlay',
    yLabel: 'Exact match / p^L',
    yMin: 0,
    yMax: 1,
    series: variants.flatMap((_, i) => [observed[i], predicted[i]]),
    emergence: emergenceOf(emergence, variants, ['exact_match', 'predicted_exact_match']),
  };
}

/** Panels a run can show: one per metric it aggregated, and the overlay when it has both of its metrics. */
export function availablePanels(metricIds: readonly string[]): string[] {
  const has = new Set(metricIds);
  const metrics = GENERATION_METRICS.filter((m) => has.has(m.id)).map((m) => m.id as string);
  return has.has('exact_match') && has.has('predicted_exact_match') ? [...metrics, MIRAGE_PANEL_ID] : metrics;
}

/** Every panel the view may show, discontinuous metrics first (the "paired" view), then the overlay. */
export function buildPanels(models: readonly ModelRun[], variants: readonly string[], emergence: RunResult['emergence'], panelIds: readonly string[]): ChartPanel[] {
  const wanted = new Set(panelIds);
  const byKind = (kind: MetricKind) =>
    GENERATION_METRICS.filter((m) => m.kind === kind && wanted.has(m.id)).map((m) => metricPanel(models, variants, m.id as GenerationMetricId, emergence));
  const panels = [...byKind('discontinuous'), ...byKind('continuous')];
  if (wanted.has(MIRAGE_PANEL_ID)) panels.push(miragePanel(models, variants, emergence));
  return panels;
}

/** Rows of a panel's data table: by series, then by scale. */
export function panelRows(panel: ChartPanel): (ChartPoint & { seriesLabel: string; colorIndex: number })[] {
  return panel.series.flatMap((s) => s.points.map((p) => ({ ...p, seriesLabel: s.label, colorIndex: s.colorIndex })));
}

/** The x range for these parameter counts (unknown ones skipped), padded by a factor on the log axis. */
export function domainOfParams(params: readonly (number | null)[], pad = 1.6): { min: number; max: number } | null {
  const ps = params.filter((p): p is number => p !== null && p > 0);
  if (ps.length === 0) return null;
  return { min: Math.min(...ps) / pad, max: Math.max(...ps) * pad };
}

/** The x range of every panel (shared, so panels line up): parameter counts padded by a factor. */
export function paramsDomain(models: readonly ModelRun[], pad = 1.6): { min: number; max: number } | null {
  return domainOfParams(plottableModels(models).map((m) => m.params), pad);
}

export function totalPoints(panel: ChartPanel): number {
  return panel.series.reduce((n, s) => n + s.points.length, 0);
}
