/**
 * npm run bench:aggregate [-- --models 7 --items 250 --reps 5] [-- --coverage]
 * Aggregation time per model: today's aggregateItems (Wilson for proportions, BCa ∪ t bootstrap
 * on typed arrays, constant cells skipped) against the lab's first aggregateItems (percentile
 * bootstrap of every metric through pure-rand's uniformInt, number[] resamples), kept below
 * verbatim as the baseline. Same synthetic items (every generation metric, 5 variants); prints
 * ms per model for both and their ratio. A benchmark, not a test: numbers vary by machine.
 * --coverage instead simulates the coverage of the continuous-metric interval (new and old) for
 * the distributions of docs/metrics.md (1,000 datasets per cell; about a minute).
 */
import { parseArgs } from 'node:util';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { aggregateItems, meanWithBootstrapCI, type ScoredItem } from '../src/lib/metrics/aggregate.ts';
import { meanWithInterval } from '../src/lib/metrics/intervals.ts';
import { mean, quantileSorted } from '../src/lib/metrics/numeric.ts';
import { GENERATION_METRIC_IDS } from '../src/lib/metrics/registry.ts';
import { deriveSeed } from '../src/lib/metrics/seed.ts';

// ---- Baseline: aggregateItems and meanWithBootstrapCI as on main before issue 12 ----------
interface OldCI {
  mean: number;
  lo: number;
  hi: number;
  n: number;
}
function oldMeanWithBootstrapCI(values: readonly number[], seed: number): OldCI {
  const n = values.length;
  const sorted = [...values].sort((a, b) => a - b);
  const m = mean(sorted);
  if (n === 1) return { mean: m, lo: m, hi: m, n };
  const rng = xoroshiro128plus(deriveSeed(seed, 'bootstrap'));
  const resamples = 1000;
  const means = new Array<number>(resamples);
  const sample = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = sorted[uniformInt(rng, 0, n - 1)];
    means[b] = mean(sample);
  }
  means.sort((a, b) => a - b);
  const lo = quantileSorted(means, 0.025);
  const hi = quantileSorted(means, 0.975);
  return { mean: m, lo: Math.min(lo, m), hi: Math.max(hi, m), n };
}
function oldAggregateItems(items: readonly ScoredItem[], metricIds: readonly string[], seed: number): Record<string, Record<string, OldCI>> {
  const groups = new Map<string, Map<string, number[]>>();
  for (const item of items) {
    let cells = groups.get(item.variant);
    if (!cells) {
      cells = new Map(metricIds.map((id) => [id, []]));
      groups.set(item.variant, cells);
    }
    for (const id of metricIds) {
      const value = item.metrics[id];
      if (value !== null && value !== undefined) cells.get(id)?.push(value);
    }
  }
  const table: Record<string, Record<string, OldCI>> = {};
  for (const [variant, cells] of groups) {
    const row: Record<string, OldCI> = {};
    for (const [id, values] of cells) if (values.length > 0) row[id] = oldMeanWithBootstrapCI(values, deriveSeed(seed, variant, id));
    table[variant] = row;
  }
  return table;
}
// --------------------------------------------------------------------------------------------

const { values: args } = parseArgs({
  options: { models: { type: 'string', default: '7' }, items: { type: 'string', default: '250' }, reps: { type: 'string', default: '5' }, coverage: { type: 'boolean', default: false } },
});

/** Simulated coverage of the continuous-metric interval, new (BCa ∪ t) and old (percentile). */
function coverageTable(): void {
  const rng = xoroshiro128plus(123);
  const u = (): number => uniformFloat64(rng);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const dists: [string, () => number, number, { min: number | null; max: number | null }][] = [
    ['edit-distance-like 0/1/2/5', () => { const r = u(); return r < 0.7 ? 0 : r < 0.85 ? 1 : r < 0.95 ? 2 : 5; }, 0.6, { min: 0, max: null }],
    ['U^4 on [0, 1]', () => u() ** 4, 0.2, { min: 0, max: 1 }],
    ['lognormal(0, 1)', () => Math.exp(normal()), Math.exp(0.5), { min: null, max: null }],
    ['exponential(1)', () => -Math.log(1 - u()), 1, { min: 0, max: null }],
    ['rare large errors 0/1/6', () => { const r = u(); return r < 0.9 ? 0 : r < 0.97 ? 1 : 6; }, 0.25, { min: 0, max: null }],
  ];
  const R = 1000;
  for (const [name, draw, truth, bounds] of dists) {
    const cells = [10, 20, 50, 250].map((n) => {
      let covNew = 0;
      let covOld = 0;
      for (let r = 0; r < R; r++) {
        const xs = Array.from({ length: n }, draw);
        const a = meanWithInterval(xs, { method: 'bootstrap', seed: r, bounds });
        const b = meanWithBootstrapCI(xs, { seed: r });
        if (a.lo <= truth && truth <= a.hi) covNew++;
        if (b.lo <= truth && truth <= b.hi) covOld++;
      }
      return `n=${n}: ${((100 * covNew) / R).toFixed(1)} (${((100 * covOld) / R).toFixed(1)})`;
    });
    console.log(`${name}: ${cells.join(' | ')}`);
  }
}
if (args.coverage) {
  coverageTable();
  process.exit(0);
}
const M = Number(args.models);
const N = Number(args.items);
const reps = Number(args.reps);
const VARIANTS = ['add/1d', 'add/2d', 'add/3d', 'add/4d', 'add/5d'];

/** Items of model j: accuracy rising with j and falling with the variant's digits, like the bundled ladder. */
function modelItems(j: number): ScoredItem[] {
  const rng = xoroshiro128plus(1000 + j);
  const u = (): number => uniformFloat64(rng);
  return Array.from({ length: N }, (_, i) => {
    const v = i % VARIANTS.length;
    const L = v + 2;
    const p = Math.min(0.999, Math.max(0.01, 0.3 + 0.1 * j - 0.08 * v + 0.1 * (u() - 0.5)));
    const exact = u() < p ** L ? 1 : 0;
    const edits = exact ? 0 : 1 + Math.floor(u() * L);
    return {
      variant: VARIANTS[v],
      metrics: {
        exact_match: exact,
        token_edit_distance: edits,
        char_edit_distance: edits + (u() < 0.2 ? 1 : 0),
        digit_accuracy: exact ? 1 : Math.floor(u() * L) / L,
        target_logprob: L * Math.log(p),
        mean_token_logprob: Math.log(p),
        per_token_prob: p,
        greedy_consistency: exact && u() < 0.9 ? 1 : 0,
        predicted_exact_match: p ** L,
      },
    };
  });
}

const ladder = Array.from({ length: M }, (_, j) => modelItems(j));
const ids = GENERATION_METRIC_IDS;
function timePerModel(run: (items: ScoredItem[], j: number) => unknown): number {
  for (const [j, items] of ladder.entries()) run(items, j); // warm-up
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) for (const [j, items] of ladder.entries()) run(items, j);
  return (performance.now() - t0) / (reps * M);
}
const before = timePerModel((items) => oldAggregateItems(items, ids, 42));
const after = timePerModel((items, j) => aggregateItems(items, ids, 42, { model: `m${j}` }));
console.log(`aggregation of ${M} models × ${N} items (${ids.length} metrics, ${VARIANTS.length} variants), ${reps} reps`);
console.log(`before (percentile bootstrap, every metric): ${before.toFixed(2)} ms per model`);
console.log(`after  (Wilson + BCa ∪ t, typed arrays):     ${after.toFixed(2)} ms per model`);
console.log(`speed-up: ${(before / after).toFixed(1)}×`);
