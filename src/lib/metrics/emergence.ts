/**
 * Legacy emergence score (share links r1/r2 replay it; keep its behaviour). New code should use
 * the measures re-exported at the end of this file: breakthroughness (the same formula without
 * the floor: "undefined" with a reason instead of 1e6), jump share, their bootstrap intervals
 * and the mirage ratios (jump.ts, emergenceIntervals.ts).
 *
 * Emergence score of Srivastava et al. 2022 (BIG-bench, "Beyond the Imitation Game",
 * arXiv:2206.04615, appendix on emergence / breakthroughness): for values y_1..y_n ordered by
 * increasing model scale,
 *   score = sign(argmax_i y_i − argmin_i y_i) · (max_i y_i − min_i y_i) / sqrt(median_{i≥2} (y_i − y_{i−1})²)
 * Large when the total change is big compared with a typical step between neighbouring models,
 * i.e. when most of the change happens in few steps; positive when the best model is larger
 * than the worst one.
 */
import { MetricError } from './errors.ts';
import { median } from './numeric.ts';
import { getMetric } from './registry.ts';
import { assertFiniteArray } from './validate.ts';

/**
 * Floor of the denominator, relative to the range: sqrt(median) ≥ EMERGENCE_EPSILON·(max − min).
 * A median step of exactly 0 (e.g. exact match stuck at 0 for most models, then a jump) would
 * divide by zero; with the floor the score is finite and |score| ≤ 1/EMERGENCE_EPSILON = 10⁶.
 * Being relative, it keeps the score independent of the metric's units.
 */
export const EMERGENCE_EPSILON = 1e-6;

export interface EmergenceOptions {
  /** false for metrics where lower is better (edit distance, Brier score): values are negated. */
  higherIsBetter?: boolean;
}

/** Index of the first maximum / minimum (numpy.argmax / argmin). */
function argExtremes(ys: readonly number[]): { iMax: number; iMin: number } {
  let iMax = 0;
  let iMin = 0;
  for (let i = 1; i < ys.length; i++) {
    if (ys[i] > ys[iMax]) iMax = i;
    if (ys[i] < ys[iMin]) iMin = i;
  }
  return { iMax, iMin };
}

/**
 * Emergence score of one metric along a model ladder (values ordered by increasing scale).
 * Values are first oriented so that higher is better, so scores of different metrics compare:
 * a metric that improves with scale gets a positive score whatever its direction.
 * Needs ≥ 2 finite values; constant values give 0. Never returns NaN or ±Infinity.
 */
export function emergenceScore(ys: readonly number[], opts: EmergenceOptions = {}): number {
  assertFiniteArray(ys, 'values');
  if (ys.length < 2) {
    throw new MetricError(`The emergence score needs values of at least 2 models, got ${ys.length}.`);
  }
  const oriented = opts.higherIsBetter === false ? ys.map((y) => -y) : [...ys];
  // The score is scale-invariant, so dividing by max |y| changes nothing but keeps every
  // difference and square finite (max − min of ±1e308 would overflow).
  // Extremes are located before scaling, which could round distinct tiny values together.
  const { iMax, iMin } = argExtremes(oriented);
  const scale = Math.max(...oriented.map(Math.abs));
  if (scale === 0 || iMax === iMin) return 0;
  const z = oriented.map((y) => y / scale);
  const range = z[iMax] - z[iMin];
  if (range === 0) return 0;
  const squaredSteps = z.slice(1).map((y, i) => (y - z[i]) ** 2);
  const typicalStep = Math.max(Math.sqrt(median(squaredSteps)), EMERGENCE_EPSILON * range);
  return Math.sign(iMax - iMin) * (range / typicalStep);
}

/**
 * Emergence score of each metric along a ladder: perModelValues[i] holds model i's value of each
 * metric (models ordered by increasing scale, e.g. aggregate means). Orientation comes from the
 * METRICS registry. A model without a value for a requested metric is an error.
 */
export function emergenceScores(
  perModelValues: readonly Readonly<Record<string, number>>[],
  metricIds: readonly string[],
): Record<string, number> {
  const scores: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const id of metricIds) {
    const { higherIsBetter } = getMetric(id);
    const ys = perModelValues.map((values, i) => {
      const y = Object.hasOwn(values, id) ? values[id] : undefined;
      if (y === undefined) throw new MetricError(`Model ${i} of the ladder has no value for metric "${id}".`);
      return y;
    });
    try {
      scores[id] = emergenceScore(ys, { higherIsBetter });
    } catch (e) {
      if (e instanceof MetricError) throw new MetricError(`Metric "${id}": ${e.message}`);
      throw e;
    }
  }
  return scores;
}

export { breakthroughness, isUndefined, jumpShare, type JumpSharePoint, type PointMeasure, type Undefined } from './jump.ts';
export {
  measuresWithIntervals,
  mirageRatioWithInterval,
  variantEmergence,
  type EmergenceMeasure,
  type EmergenceOptions as EmergenceMeasureOptions,
  type JumpShareMeasure,
  type LadderRung,
  type MeasureWithInterval,
  type MeasureWithoutInterval,
  type MetricEmergence,
  type MirageRatio,
  type SingleMeasureOptions,
  type VariantEmergence,
} from './emergenceIntervals.ts';
