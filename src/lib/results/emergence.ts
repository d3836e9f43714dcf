/**
 * Emergence of a run along its ladder. Two generations of numbers:
 * - `computeEmergence`: the legacy score per variant and metric from the models' aggregates
 *   alone (the `emergence` field; kept so old files and r1/r2 links read as they were written).
 * - `computeEmergenceMeasures`: breakthroughness, jump share and mirage ratios with bootstrap
 *   intervals from the items (the `emergence_measures` field; docs/metrics.md).
 * - `predictVariantJump`: "was the jump predictable?" for one variant and cut-off.
 */
import { emergenceScores } from '../metrics/emergence.ts';
import { variantEmergence } from '../metrics/emergenceIntervals.ts';
import { jumpShare, isUndefined, type Undefined } from '../metrics/jump.ts';
import { predictJump, type JumpPrediction, type PredictRung } from '../metrics/predict.ts';
import { getMetric, METRIC_IDS, type MetricFamily } from '../metrics/registry.ts';
import type { ModelRun, ModelScale, RunResult, VariantEmergenceMeasures } from './types.ts';

/** What ordering along a ladder needs of a model. */
export interface Scaled {
  params: number | null;
  scale?: ModelScale;
}

/**
 * Models in ladder order. When every model carries its ladder position on one axis (a bundled
 * run), by that value: training compute on a checkpoint ladder, where checkpoints of one size
 * share their parameter count. Otherwise (Hub models, files from before `scale`) by parameters.
 * Ties keep the given order.
 */
export function sortAlongLadder<M extends Scaled>(models: readonly M[]): M[] {
  return [...models].sort((a, b) => ladderX(a, models) - ladderX(b, models) || (a.params ?? 0) - (b.params ?? 0));
}

/** The axis sortAlongLadder orders these models by: their common scale axis, else parameters. */
export function ladderAxisOf(models: readonly Scaled[]): ModelScale['axis'] {
  const axis = models[0]?.scale?.axis;
  return axis !== undefined && models.every((m) => m.scale?.axis === axis) ? axis : 'params';
}

/** A model's position along the ladder of `models` (see ladderAxisOf). */
export function ladderX(model: Scaled, models: readonly Scaled[]): number {
  return ladderAxisOf(models) === 'params' ? (model.params ?? 0) : model.scale!.value;
}

/**
 * The training runs a set of checkpoints mixes, when it mixes more than one (else null). A
 * measure along training compute must follow one run: checkpoints of two sizes in one line would
 * read as one model learning, so the measures are undefined for such a set.
 */
export function mixedTrainingRuns(models: readonly Scaled[]): string[] | null {
  const runs = [...new Set(models.filter((m) => m.scale?.axis === 'compute').map((m) => m.scale!.run))];
  return runs.length > 1 ? runs : null;
}

/** Finished models with a known size along one ladder (empty when checkpoints of several runs are mixed). */
function ladderOf<M extends Scaled & { status: ModelRun['status'] }>(models: readonly M[]): M[] {
  const done = models.filter((m) => m.status === 'done' && m.params !== null);
  return mixedTrainingRuns(done) ? [] : sortAlongLadder(done);
}

/** Emergence score per variant and metric across finished models in ladder order (sortAlongLadder). */
export function computeEmergence(models: readonly ModelRun[]): RunResult['emergence'] {
  const ladder = ladderOf(models);
  const out: RunResult['emergence'] = {};
  if (ladder.length < 2) return out;
  for (const { variant } of ladder[0].aggregates.variants) {
    const perModel = ladder.map((m) => {
      const agg = m.aggregates.variants.find((x) => x.variant === variant);
      return Object.fromEntries(Object.entries(agg?.metrics ?? {}).map(([k, s]) => [k, s.mean]));
    });
    const ids = METRIC_IDS.filter((id) => perModel.every((values) => id in values));
    out[variant] = emergenceScores(perModel, ids);
  }
  return out;
}

/** The discontinuous metric each family's mirage ratios divide by (Schaeffer et al. 2023: exact match and MC grade). */
export const MIRAGE_REFERENCE: Record<MetricFamily, string> = { generation: 'exact_match', choice: 'mc_grade' };

/** One model of a ladder as the measures need it: its size and per-item metric values with their variant. */
export interface MeasureModel {
  id: string;
  params: number | null;
  scale?: ModelScale;
  status: ModelRun['status'];
  /** The metric ids each variant was aggregated under (the run's choice of metrics). */
  aggregates: ModelRun['aggregates'];
  items: readonly { variant: string; metrics: Readonly<Record<string, number | null>> }[];
}

/**
 * Finished models with a known size and items in ladder order (sortAlongLadder): the ladder the
 * measures run along. Empty when they mix checkpoints of several training runs (mixedTrainingRuns).
 */
export function measureLadder<M extends MeasureModel>(models: readonly M[]): M[] {
  return ladderOf(models.filter((m) => m.items.length > 0));
}

/**
 * Breakthroughness, jump share and mirage ratios per variant, with bootstrap intervals (items
 * resampled within each model, seed deriveSeed(bootstrapSeed, 'emergence', variant)). Variants
 * are those of the smallest model; a variant's metrics are those every ladder model aggregated
 * for it. Measures of a ladder too short or flat say "undefined" with the reason; nothing throws
 * for such data.
 */
export function computeEmergenceMeasures(models: readonly MeasureModel[], bootstrapSeed: number, opts: { resamples?: number } = {}): Record<string, VariantEmergenceMeasures> {
  const ladder = measureLadder(models);
  const out: Record<string, VariantEmergenceMeasures> = {};
  if (ladder.length === 0) return out;
  for (const { variant } of ladder[0].aggregates.variants) {
    const aggs = ladder.map((m) => m.aggregates.variants.find((a) => a.variant === variant));
    if (aggs.some((a) => a === undefined)) continue;
    const ids = METRIC_IDS.filter((id) => aggs.every((a) => Object.hasOwn(a!.metrics, id)));
    if (ids.length === 0) continue;
    const family = getMetric(ids[0]).family;
    const rungs = ladder.map((m) => ({ model: m.id, items: m.items.filter((i) => i.variant === variant).map((i) => i.metrics) }));
    const e = variantEmergence(rungs, ids, { seed: bootstrapSeed, variant, reference: MIRAGE_REFERENCE[family], ...(opts.resamples ? { resamples: opts.resamples } : {}) });
    out[variant] = { models: ladder.map((m) => m.id), reference: MIRAGE_REFERENCE[family], metrics: { ...e.metrics }, mirage: { ...e.mirage } };
  }
  return out;
}

/** A generation item as the prediction needs it: per-token probability, answer length in tokens, exact match. */
export interface PredictionItem {
  variant: string;
  metrics: Readonly<Record<string, number | null>>;
  /** Target tokens L (the p^L exponent). */
  targetTokens: number;
}

export interface PredictionModel {
  id: string;
  params: number | null;
  scale?: ModelScale;
  status: ModelRun['status'];
  items: readonly PredictionItem[];
}

/** Generation items of a RunResult model in the shape predictVariantJump reads. */
export function predictionItemsOf(model: ModelRun): PredictionItem[] {
  const out: PredictionItem[] = [];
  for (const i of model.items) if (i.kind !== 'choice') out.push({ variant: i.variant, metrics: i.metrics as unknown as Record<string, number | null>, targetTokens: i.target_token_ids.length });
  return out;
}

export interface VariantPrediction {
  /** What `params` below is: parameters, or training compute (FLOPs) on a checkpoint ladder. */
  axis: ModelScale['axis'];
  /** Models in ladder order and their position on the axis (the x the fit uses: log10 of it). */
  models: { id: string; params: number }[];
  /** Rungs 0..cutoff are fitted. */
  cutoff: number;
  /** The rung before the largest exact-match step (the default cut-off), or null when undefined. */
  defaultCutoff: number | null;
  result: JumpPrediction | Undefined;
}

/**
 * The default cut-off: the rung just before the largest step of observed exact match, so the fit
 * sees only the models before the jump. Null (with the reason) when there is no jump to predict.
 */
export function defaultCutoff(exactByRung: readonly number[]): number | Undefined {
  const j = jumpShare(exactByRung);
  if (isUndefined(j)) return j;
  if (j.step < 1) return { undefined: 'the largest step is between the two smallest models: fewer than 2 models lie below it to fit' };
  return j.step;
}

/**
 * "Was the jump predictable?" for one generation variant (metrics/predict.ts): fit the per-token
 * probability on rungs 0..cutoff (default: the rung before the largest exact-match step),
 * predict exact match as p^L on every rung, with the bootstrap band and the naive extrapolation.
 * Multiple-choice variants have no answer length to raise p to: undefined with that reason.
 */
export function predictVariantJump(models: readonly PredictionModel[], variant: string, bootstrapSeed: number, cutoff?: number): VariantPrediction | Undefined {
  const done = models.filter((m) => m.status === 'done' && m.params !== null && m.params > 0 && m.items.length > 0);
  const mixed = mixedTrainingRuns(done);
  if (mixed) return { undefined: `the run mixes checkpoints of ${mixed.length} training runs (${mixed.join(', ')}); a prediction follows one run's checkpoints` };
  const ladder = sortAlongLadder(done);
  const rungs: PredictRung[] = [];
  for (const m of ladder) {
    const items = m.items.filter((i) => i.variant === variant);
    if (items.length === 0) return { undefined: `model "${m.id}" has no items of this variant` };
    const rows: PredictRung['items'][number][] = [];
    for (const i of items) {
      const p = i.metrics.per_token_prob;
      const exact = i.metrics.exact_match;
      if (typeof p !== 'number' || typeof exact !== 'number') return { undefined: 'the prediction needs generated answers (per-token probability and exact match); multiple-choice items have no answer length to raise p to' };
      rows.push({ p, L: i.targetTokens, exact });
    }
    rungs.push({ params: ladderX(m, ladder), items: rows });
  }
  if (rungs.length < 3) return { undefined: `needs at least 3 models (2 to fit, 1 to predict), got ${rungs.length}` };
  const exactByRung = rungs.map((r) => r.items.reduce((s, i) => s + i.exact, 0) / r.items.length);
  const dflt = defaultCutoff(exactByRung);
  const chosen = cutoff ?? (typeof dflt === 'number' ? dflt : null);
  if (chosen === null) return { undefined: typeof dflt === 'number' ? 'no cut-off' : `no default cut-off: ${dflt.undefined}` };
  const result = predictJump(rungs, { cutoff: chosen, seed: bootstrapSeed });
  return { axis: ladderAxisOf(ladder), models: ladder.map((m) => ({ id: m.id, params: ladderX(m, ladder) })), cutoff: chosen, defaultCutoff: typeof dflt === 'number' ? dflt : null, result };
}
