/**
 * Emergence measures and the jump prediction as visitors read them (CLI table, chart panels,
 * the "Was the jump predictable?" panel). Pure text shaping: the numbers come from
 * src/lib/results/emergence.ts. A measure is a number with its interval, a number whose interval
 * is undefined, or "undefined — <reason>"; no sentinel is ever printed.
 */
import type { EmergenceMeasure, JumpShareMeasure } from '../metrics/emergenceIntervals.ts';
import type { Undefined } from '../metrics/jump.ts';
import type { JumpPrediction } from '../metrics/predict.ts';
import { getMetric, isMetricId } from '../metrics/registry.ts';
import type { VariantPrediction } from '../results/emergence.ts';
import type { ModelScale, VariantEmergenceMeasures } from '../results/types.ts';
import { formatParams, modelLabel } from './format.ts';

/** A measure's value: 3 significant digits without exponent (0.862, 22.4, 154). */
export function formatMeasureValue(x: number): string {
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function isUndef(m: object): m is Undefined {
  return 'undefined' in m;
}

/** "0.86 [0.75, 0.95]", "0.86 (no interval: …)" or "undefined — <reason>". */
export function formatMeasure(m: EmergenceMeasure | JumpShareMeasure): string {
  if (isUndef(m)) return `undefined — ${m.undefined}`;
  if ('intervalUndefined' in m) return `${formatMeasureValue(m.value)} (no interval: ${m.intervalUndefined})`;
  return `${formatMeasureValue(m.value)} [${formatMeasureValue(m.lo)}, ${formatMeasureValue(m.hi)}]`;
}

/** Jump share as a sentence part: "0.93 [0.80, 0.97], largest step 27K → 59K". */
export function formatJumpShare(m: JumpShareMeasure, models: readonly { id: string; params: number | null; scale?: ModelScale }[]): string {
  if (isUndef(m)) return formatMeasure(m);
  const from = models[m.step];
  const to = models[m.step + 1];
  const where = from && to ? `, largest step ${scaleOf(from)} → ${scaleOf(to)}` : '';
  return `${formatMeasure(m)}${where}`;
}

function scaleOf(m: { id: string; params: number | null; scale?: ModelScale }): string {
  // Checkpoints of one size share their parameter count: name their training compute.
  if (m.scale?.axis === 'compute') return formatLadderX('compute', m.scale.value);
  return m.params !== null ? formatParams(m.params) : modelLabel(m.id);
}

/** A position on a ladder's axis: parameters as 27K, training compute as 1.9e12 FLOPs. */
export function formatLadderX(axis: ModelScale['axis'], x: number): string {
  return axis === 'compute' ? `${x.toExponential(1).replace('e+', 'e')} FLOPs` : formatParams(x);
}

const shortLabel = (id: string): string => (isMetricId(id) ? getMetric(id).shortLabel : id);

/** One line per measure of a variant, for tables and panels. */
export interface MeasureRow {
  metric: string;
  label: string;
  jumpShare: string;
  breakthroughness: string;
  /** Mirage ratio (jump share and breakthroughness of the reference over this metric's); null for the reference and discontinuous metrics. */
  mirage: { jumpShare: string; breakthroughness: string } | null;
}

/** Rows of a variant's measures for the given metrics (those it has), in the order given. */
export function measureRows(measures: VariantEmergenceMeasures, metricIds: readonly string[], models: readonly { id: string; params: number | null; scale?: ModelScale }[]): MeasureRow[] {
  const ladder = measures.models.map((id) => models.find((m) => m.id === id) ?? { id, params: null });
  return metricIds
    .filter((id) => Object.hasOwn(measures.metrics, id))
    .map((id) => {
      const m = measures.metrics[id];
      const r = Object.hasOwn(measures.mirage, id) ? measures.mirage[id] : null;
      return {
        metric: id,
        label: shortLabel(id),
        jumpShare: formatJumpShare(m.jumpShare, ladder),
        breakthroughness: formatMeasure(m.breakthroughness),
        mirage: r ? { jumpShare: formatMeasure(r.jumpShare), breakthroughness: formatMeasure(r.breakthroughness) } : null,
      };
    });
}

/** The reference metric's label ("EM", "MC grade") for "mirage ratio (EM / p)". */
export function referenceLabel(measures: VariantEmergenceMeasures): string {
  return shortLabel(measures.reference);
}

/** One predicted rung, shaped for a table or chart. */
export interface PredictionRow {
  modelId: string;
  params: number;
  fitted: boolean;
  observed: number;
  predicted: number;
  lo: number;
  hi: number;
  naive: number;
  withinBand: boolean;
}

export function predictionRows(p: VariantPrediction): PredictionRow[] {
  if (isUndef(p.result)) return [];
  const result: JumpPrediction = p.result;
  return result.rungs.map((r, i) => ({
    modelId: p.models[i].id,
    params: r.params,
    fitted: r.fitted,
    observed: r.observed,
    predicted: r.predicted,
    lo: r.lo,
    hi: r.hi,
    naive: r.naive,
    withinBand: r.withinBand,
  }));
}

/**
 * "Was the jump predictable?" in one sentence with the numbers: what was fitted, the cut-off,
 * and per predicted model the p^L prediction with its band, the naive extrapolation and the
 * observed exact match.
 */
export function describePrediction(p: VariantPrediction | Undefined): string {
  if (isUndef(p)) return `undefined — ${p.undefined}`;
  if (isUndef(p.result)) return `undefined — ${p.result.undefined}`;
  const rows = predictionRows(p);
  const fitted = rows.filter((r) => r.fitted);
  const cut = fitted[fitted.length - 1];
  const how = p.defaultCutoff === p.cutoff ? ' (the rung before the largest exact-match step)' : '';
  const fmt = (x: number) => formatLadderX(p.axis, x);
  const head = `fit of per-token p on ${fitted.length} models ≤ ${fmt(cut.params)}${how}`;
  const parts = rows
    .filter((r) => !r.fitted)
    .map((r) => `${fmt(r.params)}: predicted ${r.predicted.toFixed(2)} [${r.lo.toFixed(2)}, ${r.hi.toFixed(2)}], naive ${r.naive.toFixed(2)}, observed ${r.observed.toFixed(2)}`);
  return `${head}; ${parts.join('; ')}`;
}
