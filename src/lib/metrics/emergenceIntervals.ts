/**
 * Breakthroughness and jump share (jump.ts) of every metric of one variant, with bootstrap
 * intervals, and the lab's "mirage ratio": the measure under exact match divided by the same
 * measure under each continuous metric (Schaeffer, Miranda & Koyejo 2023, arXiv:2304.15004:
 * a jump that lives in the metric, not in the models, shrinks under a continuous metric, so
 * the ratio is large; a jump in the models shows under both, and the ratio is near 1).
 *
 * Bootstrap: items are resampled with replacement within each model, independently across
 * models (the models are separate samples of behaviour); within a model the same item indices
 * serve every metric, so exact match and a continuous metric are paired item by item (they
 * are scores of the same outputs) and the ratio's interval reflects that pairing. Each
 * resample gives per-model means, from which each measure is recomputed; the interval is the
 * percentile interval [q(α/2), q(1 − α/2)] of the defined resample values, widened to contain
 * the point value. A resample can make a measure undefined (e.g. a model with 1 exact match in
 * 50 drops to 0 and the curve goes flat); if more than α/2 of the resamples are undefined the
 * interval is not reported ("intervalUndefined", with the share), since its ends would rest on
 * a coin toss about whether the measure exists at all.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { MetricError } from './errors.ts';
import { breakthroughness, isUndefined, jumpShare, type PointMeasure, type Undefined } from './jump.ts';
import { mean, quantileSorted } from './numeric.ts';
import { METRICS } from './registry.ts';
import { deriveSeed } from './seed.ts';

export type { Undefined } from './jump.ts';

export interface MeasureWithInterval {
  value: number;
  lo: number;
  hi: number;
}
export interface MeasureWithoutInterval {
  value: number;
  /** Why no interval is given (too many resamples where the measure is undefined). */
  intervalUndefined: string;
}
export type EmergenceMeasure = MeasureWithInterval | MeasureWithoutInterval | Undefined;
/** Jump share also says where: the step from model `step` to model `step + 1`, and its signed size `delta`. */
export type JumpShareMeasure = ((MeasureWithInterval | MeasureWithoutInterval) & { step: number; delta: number }) | Undefined;

export interface MetricEmergence {
  breakthroughness: EmergenceMeasure;
  jumpShare: JumpShareMeasure;
}

export interface MirageRatio {
  /** jump share (exact match) / jump share (this metric): 1/(m − 1) … m − 1. */
  jumpShare: EmergenceMeasure;
  /** breakthroughness (exact match) / breakthroughness (this metric). */
  breakthroughness: EmergenceMeasure;
}

export interface VariantEmergence {
  /** Metric id → its measures along the ladder. */
  metrics: Record<string, MetricEmergence>;
  /** Continuous metric id → mirage ratios against exact match (empty without exact_match). */
  mirage: Record<string, MirageRatio>;
}

/** One model of the ladder: its per-item metric values on this variant (null = does not apply). */
export interface LadderRung {
  model: string;
  items: readonly Readonly<Record<string, number | null>>[];
}

export interface EmergenceOptions {
  /** Run seed (the spec's bootstrap seed); the stream is deriveSeed(seed, 'emergence', variant). */
  seed: number;
  variant: string;
  resamples?: number;
  level?: number;
  /** The metric compared against in mirage ratios (default exact_match). */
  reference?: string;
}

const REFERENCE = 'exact_match';

function orientationOf(id: string): { higherIsBetter: boolean; continuous: boolean } {
  const info = (METRICS as readonly { id: string; higherIsBetter: boolean; kind: string }[]).find((m) => m.id === id);
  if (!info) throw new MetricError(`Unknown metric "${id}". Known metrics: ${METRICS.map((m) => m.id).join(', ')}.`);
  return { higherIsBetter: info.higherIsBetter, continuous: info.kind === 'continuous' };
}

function ratio(a: PointMeasure, b: PointMeasure, refLabel: string, label: string): PointMeasure {
  if (isUndefined(a)) return { undefined: `${refLabel}: ${a.undefined}` };
  if (isUndefined(b)) return { undefined: `${label}: ${b.undefined}` };
  if (b.value === 0) return { undefined: `${label}: the measure is 0` };
  return { value: a.value / b.value };
}

/** Percentile interval of the defined resample values, or the reason it is not given. */
function summarize<T extends PointMeasure>(point: T, draws: Float64Array, defined: number, level: number): EmergenceMeasure {
  if (isUndefined(point)) return point;
  const B = draws.length;
  const alpha = 1 - level;
  const undefinedShare = (B - defined) / B;
  if (defined === 0 || undefinedShare > alpha / 2) {
    return {
      value: point.value,
      intervalUndefined: `in ${Math.round(100 * undefinedShare)}% of bootstrap resamples the measure is undefined (the items cannot tell whether the curve has a jump at all)`,
    };
  }
  const sorted = Array.from(draws.subarray(0, defined)).sort((x, y) => x - y);
  const lo = quantileSorted(sorted, alpha / 2);
  const hi = quantileSorted(sorted, 1 - alpha / 2);
  return { value: point.value, lo: Math.min(lo, point.value), hi: Math.max(hi, point.value) };
}

function checkOptions(seed: number, resamples: number, level: number): void {
  if (!Number.isSafeInteger(seed)) throw new MetricError(`The bootstrap seed must be an integer, got ${seed}.`);
  if (!Number.isSafeInteger(resamples) || resamples < 1) throw new MetricError(`The number of bootstrap resamples must be a positive integer, got ${resamples}.`);
  if (!(level > 0 && level < 1)) throw new MetricError(`The confidence level must be strictly between 0 and 1, got ${level}.`);
}

/** Per-model arrays of one metric's per-item values as a column (NaN marks null). */
function columnOf(values: readonly (number | null)[], where: string): Float64Array {
  return Float64Array.from(values, (x, i) => {
    if (x !== null && !Number.isFinite(x)) throw new MetricError(`${where}, item ${i} is ${x}; metric values must be finite numbers.`);
    return x === null ? NaN : x;
  });
}

/**
 * Breakthroughness and jump share of each metric (models in `ladder` ordered by increasing
 * scale), with bootstrap intervals, and the mirage ratios of each continuous metric against
 * exact match. A metric one model has no values for gets "undefined" measures with that reason;
 * non-finite values, unknown metric ids or bad options throw MetricError.
 */
export function variantEmergence(ladder: readonly LadderRung[], metricIds: readonly string[], opts: EmergenceOptions): VariantEmergence {
  const { seed, variant, resamples = 1000, level = 0.95, reference = REFERENCE } = opts;
  checkOptions(seed, resamples, level);
  const info = metricIds.map(orientationOf);
  const columns = ladder.map((rung, j) =>
    metricIds.map((id) =>
      columnOf(
        rung.items.map((item, i) => {
          const x = Object.hasOwn(item, id) ? item[id] : undefined;
          if (x === undefined) throw new MetricError(`Model "${rung.model}" (rung ${j}), item ${i} has no value for metric "${id}"; score it first.`);
          return x;
        }),
        `Model "${rung.model}", metric "${id}"`,
      ),
    ),
  );
  return ladderCore(
    columns,
    ladder.map((r) => r.model),
    metricIds,
    info,
    metricIds.indexOf(reference),
    { seed: deriveSeed(seed, 'emergence', variant), resamples, level },
  );
}

export interface SingleMeasureOptions {
  seed: number;
  resamples?: number;
  level?: number;
  /** false for metrics where lower is better (breakthroughness is oriented; jump share is not). */
  higherIsBetter?: boolean;
}

/**
 * Breakthroughness and jump share of one metric with bootstrap intervals, from per-model arrays
 * of per-item values (models ordered by scale; null = the metric does not apply to that item).
 */
export function measuresWithIntervals(perModel: readonly (readonly (number | null)[])[], opts: SingleMeasureOptions): MetricEmergence {
  const { seed, resamples = 1000, level = 0.95, higherIsBetter = true } = opts;
  checkOptions(seed, resamples, level);
  const columns = perModel.map((values, j) => [columnOf(values, `Model ${j}`)]);
  const names = perModel.map((_, j) => `${j + 1}`);
  return ladderCore(columns, names, ['metric'], [{ higherIsBetter, continuous: true }], -1, { seed: deriveSeed(seed, 'emergence'), resamples, level }).metrics.metric;
}

/**
 * Mirage ratios measure(exact match) / measure(metric) with bootstrap intervals, from per-model
 * arrays of per-item values of both metrics on the same items (equal lengths per model: items
 * are resampled in pairs).
 */
export function mirageRatioWithInterval(
  exactPerModel: readonly (readonly (number | null)[])[],
  metricPerModel: readonly (readonly (number | null)[])[],
  opts: SingleMeasureOptions,
): MirageRatio {
  const { seed, resamples = 1000, level = 0.95, higherIsBetter = true } = opts;
  checkOptions(seed, resamples, level);
  if (exactPerModel.length !== metricPerModel.length) {
    throw new MetricError(`Exact match has ${exactPerModel.length} models and the metric ${metricPerModel.length}; give both for the same ladder.`);
  }
  const columns = exactPerModel.map((em, j) => {
    if (em.length !== metricPerModel[j].length) {
      throw new MetricError(`Model ${j}: ${em.length} exact-match values but ${metricPerModel[j].length} metric values; the ratio pairs them item by item.`);
    }
    return [columnOf(em, `Model ${j}, exact match`), columnOf(metricPerModel[j], `Model ${j}, metric`)];
  });
  const names = exactPerModel.map((_, j) => `${j + 1}`);
  const info = [
    { higherIsBetter: true, continuous: false },
    { higherIsBetter, continuous: true },
  ];
  return ladderCore(columns, names, ['exact_match', 'metric'], info, 0, { seed: deriveSeed(seed, 'emergence'), resamples, level }).mirage.metric;
}

/**
 * The shared engine: columns[j][k] holds model j's per-item values of metric k (NaN = null),
 * `r` the index of the reference metric, exact match (−1: no mirage ratios), `rngSeed` the PRNG seed.
 */
function ladderCore(
  columns: readonly (readonly Float64Array[])[],
  modelNames: readonly string[],
  metricIds: readonly string[],
  info: readonly { higherIsBetter: boolean; continuous: boolean }[],
  r: number,
  { seed: rngSeed, resamples, level }: { seed: number; resamples: number; level: number },
): VariantEmergence {
  const K = metricIds.length;
  const M = columns.length;
  const missing = (k: number): string | null => {
    for (let j = 0; j < M; j++) if (!columns[j][k].some((x) => !Number.isNaN(x))) return `model "${modelNames[j]}" has no items with this metric`;
    return null;
  };
  const pointMeans = metricIds.map((_, k) => columns.map((_, j) => mean(Array.from(columns[j][k]).filter((x) => !Number.isNaN(x)))));

  // Resample means: boot[k][b·M + j] (NaN where a resample of model j has no value for metric k).
  const boot = metricIds.map(() => new Float64Array(resamples * M));
  const rng = xoroshiro128plus(rngSeed);
  const sums = new Float64Array(K);
  const counts = new Int32Array(K);
  for (let b = 0; b < resamples; b++) {
    for (let j = 0; j < M; j++) {
      const n = columns[j].length > 0 ? columns[j][0].length : 0;
      sums.fill(0);
      counts.fill(0);
      const limit = n > 2 ? ~~(4294967296 / n) * n : 4294967296;
      for (let i = 0; i < n; i++) {
        let d = rng.next() + 2147483648;
        while (d >= limit) d = rng.next() + 2147483648;
        const at = d - Math.floor(d / n) * n;
        for (let k = 0; k < K; k++) {
          const x = columns[j][k][at];
          if (!Number.isNaN(x)) {
            sums[k] += x;
            counts[k]++;
          }
        }
      }
      for (let k = 0; k < K; k++) boot[k][b * M + j] = counts[k] > 0 ? sums[k] / counts[k] : NaN;
    }
  }
  const resampleOf = (k: number, b: number): Float64Array | null => {
    const ys = boot[k].subarray(b * M, b * M + M);
    return ys.some((y) => !Number.isFinite(y)) ? null : ys;
  };

  const points = metricIds.map((_, k) => {
    const why = missing(k);
    const hib = info[k].higherIsBetter;
    return {
      b: why ? ({ undefined: why } as Undefined) : breakthroughness(pointMeans[k], { higherIsBetter: hib }),
      j: why ? ({ undefined: why } as Undefined) : jumpShare(pointMeans[k]),
    };
  });

  const metrics: Record<string, MetricEmergence> = Object.create(null) as Record<string, MetricEmergence>;
  const bDraws = new Float64Array(resamples);
  const jDraws = new Float64Array(resamples);
  metricIds.forEach((id, k) => {
    let nb = 0;
    let nj = 0;
    for (let b = 0; b < resamples; b++) {
      const ys = resampleOf(k, b);
      if (!ys) continue;
      const bm = breakthroughness(ys, { higherIsBetter: info[k].higherIsBetter });
      if (!isUndefined(bm)) bDraws[nb++] = bm.value;
      const jm = jumpShare(ys);
      if (!isUndefined(jm)) jDraws[nj++] = jm.value;
    }
    const { b: bp, j: jp } = points[k];
    const jSummary = summarize(jp, jDraws.slice(0, resamples), nj, level);
    metrics[id] = {
      breakthroughness: summarize(bp, bDraws.slice(0, resamples), nb, level),
      // summarize keeps a defined point defined, so both are defined or both are not.
      jumpShare: isUndefined(jp) || isUndefined(jSummary) ? { undefined: isUndefined(jp) ? jp.undefined : 'no value' } : { ...jSummary, step: jp.step, delta: jp.delta },
    };
  });

  const mirage: Record<string, MirageRatio> = Object.create(null) as Record<string, MirageRatio>;
  if (r >= 0) {
    metricIds.forEach((id, k) => {
      if (k === r || !info[k].continuous) return;
      const pointB = ratio(points[r].b, points[k].b, metricIds[r], id);
      const pointJ = ratio(points[r].j, points[k].j, metricIds[r], id);
      let nb = 0;
      let nj = 0;
      for (let b = 0; b < resamples; b++) {
        const yr = resampleOf(r, b);
        const yk = resampleOf(k, b);
        if (!yr || !yk) continue;
        const rb = ratio(breakthroughness(yr, { higherIsBetter: info[r].higherIsBetter }), breakthroughness(yk, { higherIsBetter: info[k].higherIsBetter }), metricIds[r], id);
        if (!isUndefined(rb)) bDraws[nb++] = rb.value;
        const rj = ratio(jumpShare(yr), jumpShare(yk), metricIds[r], id);
        if (!isUndefined(rj)) jDraws[nj++] = rj.value;
      }
      mirage[id] = {
        breakthroughness: summarize(pointB, bDraws.slice(0, resamples), nb, level),
        jumpShare: summarize(pointJ, jDraws.slice(0, resamples), nj, level),
      };
    });
  }
  return { metrics, mirage };
}
