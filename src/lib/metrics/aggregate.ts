/**
 * Aggregation over items: per (model, variant, metric) the mean with a 95% interval.
 * aggregateItems uses the methods of intervals.ts (Wilson for proportions, BCa ∪ t bootstrap
 * otherwise). meanWithBootstrapCI is the lab's first method, the plain percentile bootstrap,
 * kept unchanged because share links r1/r2 replay it bit for bit (src/lib/share/recompute.ts).
 * Randomness comes only from pure-rand's seeded xoroshiro128plus, so a run's intervals are
 * reproducible from its seed.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { MetricError } from './errors.ts';
import { mean, quantileSorted } from './numeric.ts';
import { boundsFor, intervalMethodFor, meanWithInterval } from './intervals.ts';
import { deriveSeed } from './seed.ts';
import { assertFiniteArray } from './validate.ts';

export interface BootstrapOptions {
  /** Integer seed of the resampling; same seed and values → same interval. */
  seed: number;
  /** Number of bootstrap resamples B (default 1000). */
  resamples?: number;
  /** Confidence level of the interval (default 0.95). */
  level?: number;
}

export interface MeanCI {
  mean: number;
  /** Lower end of the percentile-bootstrap interval (lo ≤ mean). */
  lo: number;
  /** Upper end (hi ≥ mean). */
  hi: number;
  /** Number of values averaged. */
  n: number;
}

export const DEFAULT_RESAMPLES = 1000;
export const DEFAULT_LEVEL = 0.95;

function checkOptions(opts: BootstrapOptions): { resamples: number; level: number } {
  const { seed, resamples = DEFAULT_RESAMPLES, level = DEFAULT_LEVEL } = opts;
  if (!Number.isSafeInteger(seed)) throw new MetricError(`The bootstrap seed must be an integer, got ${seed}.`);
  if (!Number.isSafeInteger(resamples) || resamples < 1) {
    throw new MetricError(`The number of bootstrap resamples must be a positive integer, got ${resamples}.`);
  }
  if (!(level > 0 && level < 1)) {
    throw new MetricError(`The confidence level must be strictly between 0 and 1 (e.g. 0.95), got ${level}.`);
  }
  return { resamples, level };
}

/**
 * Legacy (share links r1/r2): mean of `values` with a percentile-bootstrap interval:
 *   for b = 1..B: draw n values with replacement, m_b = their mean;
 *   [lo, hi] = [quantile(m, α/2), quantile(m, 1 − α/2)], α = 1 − level (type-7 quantiles).
 * The values are sorted first, so the result depends on the multiset of values and the seed,
 * not on item order. In rare, very skewed samples the percentile interval can miss the sample
 * mean; it is then widened to include it, so lo ≤ mean ≤ hi always holds.
 * n = 1 gives lo = hi = mean. Empty or non-finite values throw MetricError.
 */
export function meanWithBootstrapCI(values: readonly number[], opts: BootstrapOptions): MeanCI {
  const { resamples, level } = checkOptions(opts);
  assertFiniteArray(values, 'values');
  const n = values.length;
  if (n === 0) throw new MetricError('Cannot average zero values: the group has no items with this metric.');
  const sorted = [...values].sort((a, b) => a - b);
  const m = mean(sorted);
  if (n === 1) return { mean: m, lo: m, hi: m, n };

  const rng = xoroshiro128plus(deriveSeed(opts.seed, 'bootstrap'));
  const means = new Array<number>(resamples);
  const sample = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = sorted[uniformInt(rng, 0, n - 1)];
    means[b] = mean(sample);
  }
  means.sort((a, b) => a - b);
  const alpha = 1 - level;
  const lo = quantileSorted(means, alpha / 2);
  const hi = quantileSorted(means, 1 - alpha / 2);
  return { mean: m, lo: Math.min(lo, m), hi: Math.max(hi, m), n };
}

/** One scored item: the variant it belongs to (e.g. a model id) and its metric values. */
export interface ScoredItem {
  variant: string;
  /** Metric id → value; null means "does not apply to this item" (e.g. digit accuracy of a word). */
  metrics: Readonly<Record<string, number | null>>;
}

/** variant → metric id → mean and interval. */
export type AggregateTable = Record<string, Record<string, MeanCI>>;

/** Options of aggregateItems beyond the seed. */
export interface AggregateOptions {
  /** Bootstrap resamples B of the continuous metrics (default 1000). */
  resamples?: number;
  /** Confidence level (default 0.95). */
  level?: number;
  /**
   * The model these items belong to. It enters every cell's seed, deriveSeed(seed, model,
   * variant, metric), so the models of a ladder resample independently. Without it the seed
   * is deriveSeed(seed, variant, metric) and every model with the same item count draws the
   * same indices (correlated intervals): pass it.
   */
  model?: string;
  /**
   * 'standard' (default): Wilson / BCa ∪ t (intervals.ts). 'legacy-percentile': the lab's first
   * method, meanWithBootstrapCI for every metric with seed deriveSeed(seed, variant, metric)
   * (`model` ignored), for runs and share links (r1/r2) made before issue 12.
   */
  intervals?: 'standard' | 'legacy-percentile';
}

/**
 * Group items by variant and give each requested metric its mean and 95% interval
 * (meanWithInterval): Wilson for the binary metrics, BCa ∪ t bootstrap for the others
 * (intervals.ts has the rule). Each (model, variant, metric) cell has its own seed, so a cell's
 * interval depends neither on item order nor on which other variants or metrics are present.
 * Items where a metric is null are left out of that cell (n counts the rest); a cell with no
 * values at all is omitted. A metric missing from an item (undefined) is an error.
 * Variants appear in order of first occurrence.
 */
export function aggregateItems(items: readonly ScoredItem[], metricIds: readonly string[], seed: number, opts: AggregateOptions = {}): AggregateTable {
  if (!Number.isSafeInteger(seed)) throw new MetricError(`The aggregation seed must be an integer, got ${seed}.`);
  const { model, intervals = 'standard', ...bootstrap } = opts;
  const groups = new Map<string, Map<string, number[]>>();
  items.forEach((item, index) => {
    let cells = groups.get(item.variant);
    if (!cells) {
      cells = new Map(metricIds.map((id) => [id, []]));
      groups.set(item.variant, cells);
    }
    for (const id of metricIds) {
      const value = Object.hasOwn(item.metrics, id) ? item.metrics[id] : undefined;
      if (value === undefined) {
        throw new MetricError(`Item ${index} (variant "${item.variant}") has no value for metric "${id}"; score it first.`);
      }
      if (value !== null) cells.get(id)?.push(value);
    }
  });

  // Null-prototype objects: a variant named "__proto__" or "constructor" is just a key.
  const table: AggregateTable = Object.create(null) as AggregateTable;
  for (const [variant, cells] of groups) {
    const row: Record<string, MeanCI> = Object.create(null) as Record<string, MeanCI>;
    for (const [id, values] of cells) {
      if (values.length === 0) continue;
      const legacy = intervals === 'legacy-percentile';
      const cellSeed = model === undefined || legacy ? deriveSeed(seed, variant, id) : deriveSeed(seed, model, variant, id);
      try {
        row[id] = legacy
          ? meanWithBootstrapCI(values, { ...bootstrap, seed: cellSeed })
          : meanWithInterval(values, {
              ...bootstrap,
              method: intervalMethodFor(id),
              bounds: boundsFor(id),
              seed: deriveSeed(cellSeed, 'bootstrap'),
            });
      } catch (e) {
        if (e instanceof MetricError) throw new MetricError(`Variant "${variant}", metric "${id}": ${e.message}`);
        throw e;
      }
    }
    table[variant] = row;
  }
  return table;
}
