/**
 * Shape run results into chart panels: one panel per metric (or the mirage overlay), one series
 * per task variant (and metric), one point per finished model, x = parameter count. The same
 * objects feed the Chart.js datasets and the accessible data tables, so both show one truth.
 */
import { getMetric, METRICS, type MetricInfo, type MetricKind } from '../metrics/registry.ts';
import type { MetricId } from '../metrics/registry.ts';
import { taskVariants } from '../tasks/registry.ts';
import type { TaskSpec } from '../tasks/schema.ts';
import type { EmergenceMeasure, JumpShareMeasure } from '../metrics/emergenceIntervals.ts';
import type { ModelRun, RunResult, VariantEmergenceMeasures } from '../results/types.ts';
import { variantLabel } from './format.ts';
import { measureRows } from './measures.ts';

export interface ChartPoint {
  modelId: string;
  params: number;
  /** Position on the chosen x axis (parameters unless another axis was chosen). */
  x: number;
  variant: string;
  metric: MetricId;
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

export interface ChartSeries {
  /** Unique within a panel: "<metric>|<variant>". */
  key: string;
  variant: string;
  metric: MetricId;
  label: string;
  /** Index into the palette: the variant's position, so a variant has one colour everywhere. */
  colorIndex: number;
  dashed: boolean;
  points: ChartPoint[];
  /** After "Re-run here": 'then' for the baseline run's line (dashed), 'here' for the new run's (solid). */
  run?: 'then' | 'here';
}

/** A variant's emergence measures of one metric along the ladder, with their text. */
export interface PanelMeasure {
  variant: string;
  metric: MetricId;
  jumpShare: JumpShareMeasure;
  breakthroughness: EmergenceMeasure;
  /** Jump-share mirage ratio (reference / this metric) for continuous metrics; null otherwise. */
  mirage: EmergenceMeasure | null;
  text: { jumpShare: string; breakthroughness: string; mirage: string | null };
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
  /** Jump share, breakthroughness and mirage ratio per variant (and metric, in the overlay). */
  measures: PanelMeasure[];
  /** Each variant as visitors read it (from the task registry). */
  variantLabels: Record<string, string>;
}

/** Every metric in registry order (a run offers those its spec lists). */
export const CHART_METRICS: readonly MetricInfo[] = METRICS;

/**
 * Panels shown when nothing else was chosen: each discontinuous metric paired with continuous
 * ones — exact match beside token edit distance, per-token probability and p^L; multiple-choice
 * grade beside the Brier score and the probability of the correct choice.
 */
export const DEFAULT_PANELS: readonly string[] = ['exact_match', 'token_edit_distance', 'per_token_prob', 'target_logprob', 'mirage', 'mc_grade', 'brier_score', 'prob_correct'];

export const MIRAGE_PANEL_ID = 'mirage';

/** Variants in the task registry's order for the spec, then any others in order of first appearance in results. */
export function variantsOf(result: Pick<RunResult, 'models'> & { spec?: RunResult['spec']; task_data?: RunResult['task_data'] }): string[] {
  const out: string[] = [];
  if (result.spec) {
    try {
      out.push(...taskVariants(result.spec.task, { taskData: result.task_data ?? null }));
    } catch {
      // An imported task without its file: the variants come from the results below.
    }
  }
  for (const m of result.models) for (const v of m.aggregates.variants) if (!out.includes(v.variant)) out.push(v.variant);
  return out;
}

/** Finished models that can sit on a log axis (known, positive parameter count), by scale. */
export function plottableModels(models: readonly ModelRun[]): (ModelRun & { params: number })[] {
  return models
    .filter((m): m is ModelRun & { params: number } => m.status === 'done' && m.params !== null && m.params > 0)
    .sort((a, b) => a.params - b.params);
}

/** A model's position on the x axis; null hides it (its value on that axis is unknown). */
export type XOf = (model: ModelRun & { params: number }) => number | null;
const byParams: XOf = (m) => m.params;

function seriesOf(models: readonly ModelRun[], variants: readonly string[], metric: MetricId, dashed: boolean, labelSuffix = '', task: TaskSpec | null = null, xOf: XOf = byParams): ChartSeries[] {
  const ladder = plottableModels(models);
  return variants.map((variant, colorIndex) => ({
    key: `${metric}|${variant}`,
    variant,
    metric,
    label: `${variantLabel(variant, task)}${labelSuffix}`,
    colorIndex,
    dashed,
    points: ladder.flatMap((m): ChartPoint[] => {
      const cell = m.aggregates.variants.find((v) => v.variant === variant)?.metrics[metric];
      const x = xOf(m);
      return cell && x !== null && x > 0 ? [{ modelId: m.id, params: m.params, x, variant, metric, mean: cell.mean, lo: cell.lo, hi: cell.hi, n: cell.n }] : [];
    }),
  }));
}

/** Emergence measures of a run per variant (results/emergence.ts), as the panels read them. */
export type RunMeasures = Record<string, VariantEmergenceMeasures>;

function measuresOf(measures: RunMeasures, models: readonly ModelRun[], variants: readonly string[], metrics: readonly MetricId[]): PanelMeasure[] {
  const out: PanelMeasure[] = [];
  for (const metric of metrics) {
    for (const variant of variants) {
      const vm = Object.hasOwn(measures, variant) ? measures[variant] : undefined;
      if (!vm || !Object.hasOwn(vm.metrics, metric)) continue;
      const [row] = measureRows(vm, [metric], models);
      const mirage = Object.hasOwn(vm.mirage, metric) ? vm.mirage[metric].jumpShare : null;
      out.push({
        variant,
        metric,
        jumpShare: vm.metrics[metric].jumpShare,
        breakthroughness: vm.metrics[metric].breakthroughness,
        mirage,
        text: { jumpShare: row.jumpShare, breakthroughness: row.breakthroughness, mirage: row.mirage?.jumpShare ?? null },
      });
    }
  }
  return out;
}

function labelsOf(variants: readonly string[], task: TaskSpec | null): Record<string, string> {
  return Object.fromEntries(variants.map((v) => [v, variantLabel(v, task)]));
}

/** One metric across the ladder: a series per variant. */
export function metricPanel(models: readonly ModelRun[], variants: readonly string[], metricId: MetricId, measures: RunMeasures, task: TaskSpec | null = null, xOf: XOf = byParams): ChartPanel {
  const info = getMetric(metricId);
  return {
    id: metricId,
    title: info.label,
    description: info.description,
    kind: info.kind,
    yLabel: info.label,
    yMin: info.range.min,
    yMax: info.range.max,
    series: seriesOf(models, variants, metricId, false, '', task, xOf),
    measures: measuresOf(measures, models, variants, [metricId]),
    variantLabels: labelsOf(variants, task),
  };
}

/**
 * The mirage overlay: observed exact match (solid) next to its prediction from per-token
 * probability, p^L = exp(target log-prob) (dashed), per variant. If accuracy tracks p^L, the
 * "jump" is the nonlinearity of the metric, not of the model (Schaeffer et al. 2023).
 */
export function miragePanel(models: readonly ModelRun[], variants: readonly string[], measures: RunMeasures, task: TaskSpec | null = null, xOf: XOf = byParams): ChartPanel {
  const observed = seriesOf(models, variants, 'exact_match', false, ' observed', task, xOf);
  const predicted = seriesOf(models, variants, 'predicted_exact_match', true, ' p^L', task, xOf);
  return {
    id: MIRAGE_PANEL_ID,
    title: 'Mirage overlay: exact match vs p^L',
    description: 'Solid: observed exact match. Dashed: the prediction p^L from the per-token probability p of an L-token answer.',
    kind: 'overlay',
    yLabel: 'Exact match / p^L',
    yMin: 0,
    yMax: 1,
    series: variants.flatMap((_, i) => [observed[i], predicted[i]]),
    measures: measuresOf(measures, models, variants, ['exact_match', 'predicted_exact_match']),
    variantLabels: labelsOf(variants, task),
  };
}

/** Panels a run can show: one per metric it aggregated, and the overlay when it has both of its metrics. */
export function availablePanels(metricIds: readonly string[]): string[] {
  const has = new Set(metricIds);
  const metrics = CHART_METRICS.filter((m) => has.has(m.id)).map((m) => m.id as string);
  return has.has('exact_match') && has.has('predicted_exact_match') ? [...metrics, MIRAGE_PANEL_ID] : metrics;
}

/** Every panel the view may show, discontinuous metrics first (the "paired" view), then the overlay. */
export function buildPanels(models: readonly ModelRun[], variants: readonly string[], measures: RunMeasures, panelIds: readonly string[], task: TaskSpec | null = null, xOf: XOf = byParams): ChartPanel[] {
  const wanted = new Set(panelIds);
  // Per family (generation, then choice): discontinuous metrics first, then continuous ones — the paired view.
  const panels: ChartPanel[] = [];
  for (const family of ['generation', 'choice'] as const) {
    for (const kind of ['discontinuous', 'continuous'] as MetricKind[]) {
      for (const m of CHART_METRICS) {
        if (m.family === family && m.kind === kind && wanted.has(m.id)) panels.push(metricPanel(models, variants, m.id as MetricId, measures, task, xOf));
      }
    }
    if (family === 'generation' && wanted.has(MIRAGE_PANEL_ID)) panels.push(miragePanel(models, variants, measures, task, xOf));
  }
  // A panel whose metric no variant has (e.g. choice metrics of a generation task) would be empty.
  return panels.filter((p) => p.series.some((s) => s.points.length > 0));
}

/** Rows of a panel's data table: by series, then by scale. */
export function panelRows(panel: ChartPanel): (ChartPoint & { seriesKey: string; seriesLabel: string; colorIndex: number; dashed: boolean; run: 'then' | 'here' | null })[] {
  return panel.series.flatMap((s) => s.points.map((p) => ({ ...p, seriesKey: s.key, seriesLabel: s.label, colorIndex: s.colorIndex, dashed: s.dashed, run: s.run ?? null })));
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

/**
 * "Re-run here" on the same charts: each panel keeps the new run's lines ("here", solid) and gets
 * the baseline's line of the same metric and variant ("then", dashed, same colour and shape)
 * from `baseline`, panels built the same way from the run that was on screen. The mirage overlay
 * already uses dashes for p^L, so it shows the new run alone (its description says so).
 */
export function overlayBaseline(panels: readonly ChartPanel[], baseline: readonly ChartPanel[]): ChartPanel[] {
  return panels.map((p) => {
    if (p.id === MIRAGE_PANEL_ID) return { ...p, description: `${p.description} This run only: the comparison with the earlier run is in the other panels.` };
    const then = baseline.find((b) => b.id === p.id);
    if (!then) return p;
    const series: ChartSeries[] = [];
    for (const here of p.series) {
      const old = then.series.find((s) => s.key === here.key);
      if (old && old.points.length > 0) series.push({ ...old, key: `then|${old.key}`, label: `${old.label} (then)`, dashed: true, run: 'then' });
      series.push({ ...here, label: `${here.label} (here)`, run: 'here' });
    }
    return { ...p, series };
  });
}
