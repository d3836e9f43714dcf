/**
 * Which interval each metric gets, and the mean-with-interval of one cell (one model, one
 * variant, one metric). docs/metrics.md explains the methods and their measured coverage.
 *
 * - Binary per-item metrics (0/1 per item): Wilson score interval with the Brown–Cai–DasGupta
 *   boundary correction (wilson.ts). Deterministic: no seed involved.
 * - Every other metric: BCa bootstrap joined with the t interval, clipped to the metric's range
 *   (bootstrap.ts), seeded per cell.
 */
import { MetricError } from './errors.ts';
import { bootstrapMeanInterval, constantInterval, type Bounds } from './bootstrap.ts';
import { mean } from './numeric.ts';
import { METRICS } from './registry.ts';
import { assertFiniteArray } from './validate.ts';
import { wilsonInterval } from './wilson.ts';

export type IntervalMethod = 'wilson' | 'bootstrap';

/** Metrics whose per-item value is 0 or 1: their mean is a proportion. */
export const BINARY_METRIC_IDS: readonly string[] = ['exact_match', 'greedy_consistency', 'mc_grade', 'mc_grade_norm'];

/** The interval method of a metric: 'wilson' for the binary per-item metrics, 'bootstrap' otherwise. */
export function intervalMethodFor(metricId: string): IntervalMethod {
  return BINARY_METRIC_IDS.includes(metricId) ? 'wilson' : 'bootstrap';
}

/** Range of a metric's per-item values from the registry; unbounded for ids it does not know. */
export function boundsFor(metricId: string): Bounds {
  const info = (METRICS as readonly { id: string; range: { min: number | null; max: number | null } }[]).find((m) => m.id === metricId);
  return info ? { min: info.range.min, max: info.range.max } : { min: null, max: null };
}

export interface MeanInterval {
  mean: number;
  /** Lower end of the 95% (or `level`) interval; lo ≤ mean. */
  lo: number;
  /** Upper end; hi ≥ mean. */
  hi: number;
  /** Number of values averaged. */
  n: number;
}

export interface MeanIntervalOptions {
  method: IntervalMethod;
  /** Seed of the bootstrap (ignored by Wilson). */
  seed: number;
  resamples?: number;
  level?: number;
  bounds?: Bounds;
}

const UNBOUNDED: Bounds = { min: null, max: null };

/**
 * Mean of `values` with its interval. The result depends on the multiset of values (and the
 * seed), not on their order. n = 1: Wilson gives its usual interval; the bootstrap cannot see
 * any spread and returns the constant-sample interval (the range-based one at a bound, else
 * zero width). Empty or non-finite input, a non-0/1 value under Wilson, a bad seed, level or
 * resample count throw MetricError.
 */
export function meanWithInterval(values: readonly number[], opts: MeanIntervalOptions): MeanInterval {
  const { seed, resamples = 1000, level = 0.95, bounds = UNBOUNDED } = opts;
  if (!Number.isSafeInteger(seed)) throw new MetricError(`The bootstrap seed must be an integer, got ${seed}.`);
  if (!Number.isSafeInteger(resamples) || resamples < 1) {
    throw new MetricError(`The number of bootstrap resamples must be a positive integer, got ${resamples}.`);
  }
  if (!(level > 0 && level < 1)) {
    throw new MetricError(`The confidence level must be strictly between 0 and 1 (e.g. 0.95), got ${level}.`);
  }
  assertFiniteArray(values, 'values');
  const n = values.length;
  if (n === 0) throw new MetricError('Cannot average zero values: the group has no items with this metric.');
  const sorted = Float64Array.from(values).sort();
  const m = mean(sorted);
  if (opts.method === 'wilson') {
    let k = 0;
    for (let i = 0; i < n; i++) {
      const x = sorted[i];
      if (x === 1) k++;
      else if (x !== 0) throw new MetricError(`A proportion needs per-item values 0 or 1, got ${x}.`);
    }
    const { lo, hi } = wilsonInterval(k, n, level);
    return { mean: m, lo: Math.min(lo, m), hi: Math.max(hi, m), n };
  }
  if (sorted[0] === sorted[n - 1]) {
    const { lo, hi } = constantInterval(sorted[0], n, level, bounds);
    return { mean: m, lo, hi, n };
  }
  const { lo, hi } = bootstrapMeanInterval(sorted, m, { seed, resamples, level, bounds });
  return { mean: m, lo, hi, n };
}
