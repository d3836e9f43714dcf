/**
 * The charts' x axis (parameters, non-embedding parameters, training compute 6·N·D) and the
 * "Was the jump predictable?" panel, shaped from a run. Values and sources come from
 * metrics/xaxis.ts; a model's facts from the bundled ladder manifest (nonEmbeddingParams,
 * trainTokens) or, for Hub models, the published token counts. An axis some model has no value
 * for is not offered (hidden, not guessed).
 */
import { ladderModelId, type LadderManifest } from '../catalog/ladder.ts';
import { availableXAxes, publishedTrainTokens, X_AXES, xAxisValue, type ScaleFacts, type XAxisId } from '../metrics/xaxis.ts';
import { MetricError } from '../metrics/errors.ts';
import { defaultCutoff, ladderAxisOf, ladderX, predictionItemsOf, predictVariantJump, sortAlongLadder, type VariantPrediction } from '../results/emergence.ts';
import type { ModelRun } from '../results/types.ts';
import type { TaskSpec } from '../tasks/schema.ts';
import { formatParams, variantLabel } from './format.ts';
import { describePrediction, formatLadderX, predictionRows } from './measures.ts';
import type { ChartPanel, ChartPoint, ChartSeries } from './series.ts';

/** What is known about a model's scale, from the bundled ladder or the Hub's published figures. */
export function scaleFactsOf(model: Pick<ModelRun, 'id' | 'params'>, ladder: LadderManifest | null): ScaleFacts {
  const bundled = ladder?.models.find((m) => ladderModelId(ladder, m) === model.id);
  if (bundled) {
    return {
      params: model.params ?? bundled.params,
      paramsSource: 'bundled ladder manifest',
      nonEmbeddingParams: bundled.nonEmbeddingParams,
      nonEmbeddingParamsSource: 'bundled ladder manifest',
      trainTokens: bundled.trainTokens,
      trainTokensSource: 'bundled ladder manifest (tokens seen in training)',
    };
  }
  const published = publishedTrainTokens(model.id);
  return {
    params: model.params,
    paramsSource: 'model catalog',
    nonEmbeddingParams: null,
    ...(published ? { trainTokens: published.tokens, trainTokensSource: published.source } : { trainTokens: null }),
  };
}

export interface XAxisChoice {
  id: XAxisId;
  label: string;
  /** Axis title, e.g. "Training compute (FLOPs, log scale)". */
  title: string;
  description: string;
}

/**
 * The axes every finished model of the run has a value for, in X_AXES order (parameters first).
 * An axis on which two models share a value cannot order them and is left out while another can:
 * checkpoints of one size share their parameter count, so a run of a training-compute ladder
 * offers (and therefore opens on) training compute. Before any model has finished, the ladder's
 * own axis.
 */
export function xAxisChoices(models: readonly Pick<ModelRun, 'id' | 'params' | 'status'>[], ladder: LadderManifest | null): XAxisChoice[] {
  const facts = models.filter((m) => m.status === 'done' && m.params !== null).map((m) => scaleFactsOf(m, ladder));
  const fallback: XAxisId[] = ladder?.axis === 'compute' ? ['train_compute'] : ['params'];
  const ids = facts.length > 0 ? availableXAxes(facts) : fallback;
  const separating = ids.filter((id) => separates(id, facts));
  const offered = separating.length > 0 ? separating : ids;
  return X_AXES.filter((a) => offered.includes(a.id)).map((a) => ({ id: a.id, label: a.label, title: `${a.label} (log scale)`, description: a.description }));
}

/** No two models share a value on the axis. */
function separates(axis: XAxisId, facts: readonly ScaleFacts[]): boolean {
  const xs = facts.map((f) => xAxisValue(axis, f)?.value);
  return new Set(xs).size === xs.length;
}

/** Each model's value on the axis (null where unknown), by model id. */
export function xValuesOf(models: readonly Pick<ModelRun, 'id' | 'params'>[], axis: XAxisId, ladder: LadderManifest | null): Map<string, number | null> {
  return new Map(models.map((m) => [m.id, xAxisValue(axis, scaleFactsOf(m, ladder))?.value ?? null]));
}

/** Tick text for an axis: parameter counts as 2.4K, compute as 1.2e15. */
export function formatX(axis: XAxisId, x: number): string {
  return axis === 'train_compute' ? x.toExponential(1).replace('e+', 'e') : formatParams(x);
}

/**
 * The "Was the jump predictable?" panel for one variant: observed exact match (solid, Wilson
 * interval from the aggregates), the p^L prediction from the fit below the cut-off (dashed, with
 * its bootstrap band) and the naive extrapolation of exact match (dashed, no band). Null when
 * the prediction is undefined (the caller shows the reason).
 */
export function predictionPanel(prediction: VariantPrediction, models: readonly ModelRun[], variant: string, task: TaskSpec | null, xOf: (modelId: string) => number | null = () => null): ChartPanel | null {
  const rows = predictionRows(prediction);
  if (rows.length === 0) return null;
  const label = variantLabel(variant, task);
  const point = (r: (typeof rows)[number], metric: ChartPoint['metric'], mean: number, lo: number, hi: number): ChartPoint => {
    const n = models.find((m) => m.id === r.modelId)?.aggregates.variants.find((a) => a.variant === variant)?.n ?? 0;
    const model = models.find((m) => m.id === r.modelId);
    // r.params is the fit's x (training compute on a checkpoint ladder); the table shows parameters.
    return { modelId: r.modelId, params: model?.params ?? r.params, x: xOf(r.modelId) ?? r.params, variant, metric, mean, lo, hi, n };
  };
  const observed: ChartSeries = {
    key: `observed|${variant}`,
    variant,
    metric: 'exact_match',
    label: `${label} observed exact match`,
    colorIndex: 0,
    dashed: false,
    points: rows.map((r) => {
      const cell = models.find((m) => m.id === r.modelId)?.aggregates.variants.find((a) => a.variant === variant)?.metrics.exact_match;
      return point(r, 'exact_match', r.observed, cell?.lo ?? r.observed, cell?.hi ?? r.observed);
    }),
  };
  const predicted: ChartSeries = {
    key: `predicted|${variant}`,
    variant,
    metric: 'predicted_exact_match',
    label: `${label} predicted from the fit of p (p^L, band)`,
    colorIndex: 1,
    dashed: true,
    points: rows.map((r) => point(r, 'predicted_exact_match', r.predicted, r.lo, r.hi)),
  };
  const naive: ChartSeries = {
    key: `naive|${variant}`,
    variant,
    metric: 'exact_match',
    label: `${label} naive extrapolation of exact match`,
    colorIndex: 2,
    dashed: true,
    points: rows.map((r) => point(r, 'exact_match', r.naive, r.naive, r.naive)),
  };
  const cut = rows.filter((r) => r.fitted);
  return {
    id: 'prediction',
    title: 'Was the jump predictable?',
    description: `Per-token probability p fitted (logit p against log ${prediction.axis === 'compute' ? 'training compute' : 'parameters'}) on the ${cut.length} models up to ${formatLadderX(prediction.axis, cut[cut.length - 1].params)}, extrapolated, and raised to each answer's length L: predicted exact match with its 95% bootstrap band, beside the observed exact match and a straight-line extrapolation of exact match itself.`,
    kind: 'overlay',
    yLabel: 'Exact match',
    yMin: 0,
    yMax: 1,
    series: [observed, predicted, naive],
    measures: [],
    variantLabels: { [variant]: label },
  };
}

/** Variants the prediction applies to (generated answers: exact match and per-token probability aggregated). */
export function predictableVariants(models: readonly ModelRun[], variants: readonly string[]): string[] {
  const done = models.filter((m) => m.status === 'done' && m.params !== null);
  return variants.filter((v) => done.length > 0 && done.every((m) => {
    const a = m.aggregates.variants.find((x) => x.variant === v);
    return a !== undefined && 'exact_match' in a.metrics && 'per_token_prob' in a.metrics;
  }));
}

/** The variant to show first: the first whose exact match has a jump with 2 models below it. */
export function defaultPredictionVariant(models: readonly ModelRun[], variants: readonly string[]): string | null {
  const ladder = sortAlongLadder(models.filter((m) => m.status === 'done' && m.params !== null));
  for (const v of variants) {
    const ys = ladder.map((m) => m.aggregates.variants.find((a) => a.variant === v)?.metrics.exact_match?.mean ?? NaN);
    if (ys.every(Number.isFinite) && typeof defaultCutoff(ys) === 'number') return v;
  }
  return variants[0] ?? null;
}

export interface PredictionView {
  /** The chart, or null when the prediction is undefined. */
  panel: ChartPanel | null;
  /** The sentence with the numbers, or "undefined — <reason>". */
  text: string;
  /** Cut-offs the control offers (rung indices 1 … m − 2) with their model's label, and the one used. */
  cutoffs: { index: number; label: string }[];
  cutoff: number | null;
  defaultCutoff: number | null;
}

/**
 * Everything the "Was the jump predictable?" panel shows for one variant and cut-off (null:
 * the default, the rung before the largest exact-match step). Items without answer lengths (a
 * shared link's view) or bad values give "undefined" with the reason; nothing throws.
 */
export function predictionView(models: readonly ModelRun[], variant: string, bootstrapSeed: number, cutoff: number | null, task: TaskSpec | null, xOf: (modelId: string) => number | null): PredictionView {
  const ladder = sortAlongLadder(models.filter((m) => m.status === 'done' && m.params !== null && m.params > 0 && m.items.length > 0));
  const axis = ladderAxisOf(ladder);
  const cutoffs = ladder.slice(1, -1).map((m, i) => ({ index: i + 1, label: `${formatLadderX(axis, ladderX(m, ladder))}, ${i + 2} models` }));
  const none = (why: string): PredictionView => ({ panel: null, text: `undefined — ${why}`, cutoffs, cutoff: null, defaultCutoff: null });
  const inputs = ladder.map((m) => ({ id: m.id, params: m.params, ...(m.scale ? { scale: m.scale } : {}), status: m.status, items: predictionItemsOf(m) }));
  if (inputs.some((m) => m.items.some((i) => i.variant === variant && i.targetTokens < 1))) {
    return none('the answer lengths L are not in this view (a shared link carries per-item metrics, not target tokens); open the run file to see the prediction');
  }
  let p: ReturnType<typeof predictVariantJump>;
  try {
    p = predictVariantJump(inputs, variant, bootstrapSeed, cutoff ?? undefined);
  } catch (e) {
    if (e instanceof MetricError) return none(e.message);
    throw e;
  }
  if ('undefined' in p) return none(p.undefined);
  return {
    panel: predictionPanel(p, models, variant, task, xOf),
    text: describePrediction(p),
    cutoffs,
    cutoff: p.cutoff,
    defaultCutoff: p.defaultCutoff,
  };
}
