/**
 * Recomputing aggregates from a link's per-item results, for link formats r2 (the legacy
 * percentile bootstrap, replayed below bit for bit) and r3 (the standard intervals,
 * recomputeStandardCells at the end; docs/share-format.md, "Recomputed numbers").
 *
 * The lab aggregates with aggregateModelItems → aggregateItems → meanWithBootstrapCI
 * (src/lib/metrics/aggregate.ts). Its bootstrap draws resample *indices* into the sorted
 * values: uniformInt(rng, 0, n − 1), n·B times, from xoroshiro128plus(deriveSeed(cellSeed,
 * 'bootstrap')), with cellSeed = deriveSeed(bootstrapSeed, variant, metric). The draws depend
 * on n and the seeds only, never on the values, and the seed does not involve the model. So the
 * cells of one variant and metric with the same n (one per model of the ladder) share one
 * stream of draws: replaying it once and applying it to every model's sorted values gives
 * the same means and intervals as aggregateModelItems, bit for bit (tests/unit/share prove it
 * on real runs and on random values), in a fraction of the time (one stream instead of one
 * per model; typed arrays for the resample means).
 *
 * Everything else is the lab's own code: the seed hash, the mean (with its overflow fallback
 * and clamp), the type-7 quantile, the pure-rand generator and distribution.
 */
import { aggregateItems, DEFAULT_LEVEL, DEFAULT_RESAMPLES, type MeanCI } from '../metrics/aggregate.ts';
import { intervalMethodFor } from '../metrics/intervals.ts';
import { mean, quantileSorted } from '../metrics/numeric.ts';
import { deriveSeed } from '../metrics/seed.ts';
import { GENERATION_METRIC_IDS } from '../metrics/registry.ts';
import type { GenerationMetricId, ItemMetrics } from '../metrics/types.ts';
import { PayloadError } from './bytes.ts';
import { SMALL_INT_MAX } from './item-columns.ts';

/** Bootstrap resamples of a recomputed cell: the lab's default, as aggregateModelItems uses. */
export const RECOMPUTE_RESAMPLES = DEFAULT_RESAMPLES;

/**
 * The resample indices of meanWithBootstrapCI: pure-rand's xoroshiro128plus(seed) and
 * uniformInt(rng, 0, n − 1), inlined (a function call per draw was most of the decoding time).
 * tests/unit/share/recompute.test.ts checks it against pure-rand draw for draw.
 */
export class IndexStream {
  /** xoroshiro128+ state s01, s00, s11, s10, as pure-rand's XoroShiro128Plus holds it. */
  private readonly state = new Int32Array(4);
  private readonly limit: number;

  constructor(
    seed: number,
    private readonly n: number,
  ) {
    this.state.set([-1, ~seed, seed | 0, 0]);
    this.limit = n > 2 ? ~~(4294967296 / n) * n : 4294967296;
  }

  /** Fills `out` with the next out.length indices in [0, n). */
  fill(out: Int32Array): void {
    fillIndices(this.state, this.n, this.limit, out);
  }
}

function fillIndices(state: Int32Array, n: number, limit: number, out: Int32Array): void {
  let s01 = state[0];
  let s00 = state[1];
  let s11 = state[2];
  let s10 = state[3];
  for (let i = 0; i < out.length; i++) {
    let d: number;
    do {
      const next = (s00 + s10) | 0;
      const a0 = s10 ^ s00;
      const a1 = s11 ^ s01;
      const o00 = s00;
      const o01 = s01;
      s00 = (o00 << 24) ^ (o01 >>> 8) ^ a0 ^ (a0 << 16);
      s01 = (o01 << 24) ^ (o00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
      s10 = (a1 << 5) ^ (a0 >>> 27);
      s11 = (a0 << 5) ^ (a1 >>> 27);
      d = next + 2147483648;
    } while (d >= limit);
    // d % n without a floating-point remainder (slow): d < 2^32, so d / n rounds by far less
    // than the distance 1/n to the next integer and the floor is exact.
    out[i] = d - Math.floor(d / n) * n;
  }
  state[0] = s01;
  state[1] = s00;
  state[2] = s11;
  state[3] = s10;
}

/**
 * Per resample r of a chunk (draws r·n … r·n + n − 1): the smallest and largest drawn index,
 * into ext[2r], ext[2r + 1].
 */
function drawnExtremes(index: Int32Array, n: number, count: number, ext: Int32Array): void {
  for (let r = 0; r < count; r++) {
    let lo = n;
    let hi = -1;
    for (let i = r * n; i < r * n + n; i++) {
      const at = index[i];
      if (at < lo) lo = at;
      if (at > hi) hi = at;
    }
    ext[2 * r] = lo;
    ext[2 * r + 1] = hi;
  }
}

/**
 * For each resample of a chunk and each of G value sets stored interleaved (value j of set g
 * at j·G + g): the sum of the drawn values in draw order, as numeric.ts mean() sums a
 * resample, into sums[r·G + g]. One pass over the draws serves every set.
 */
function drawnSums(interleaved: Float64Array, G: number, index: Int32Array, n: number, count: number, sums: Float64Array): void {
  sums.fill(0);
  for (let r = 0; r < count; r++) {
    const out = r * G;
    for (let i = r * n; i < r * n + n; i++) {
      const base = index[i] * G;
      for (let g = 0; g < G; g++) sums[out + g] += interleaved[base + g];
    }
  }
}

/**
 * The same sums for sets of integers, exactly: Σ x over the draws = x₀·n + Σ_j (x_j − x_{j−1})
 * · #(draws ≥ j) with x sorted. Every partial sum is an integer below 2^53, so the order of
 * addition does not matter and this is the very double that mean() sums in draw order.
 * `steps` holds, per set, the pairs [j, x_j − x_{j−1}] where the set steps up; x0 its smallest.
 */
function integerSums(index: Int32Array, n: number, count: number, x0: Float64Array, steps: readonly Int32Array[], atOrAbove: Int32Array, sums: Float64Array): void {
  const I = steps.length;
  for (let r = 0; r < count; r++) {
    atOrAbove.fill(0);
    for (let i = r * n; i < r * n + n; i++) atOrAbove[index[i]]++;
    for (let j = n - 1; j > 0; j--) atOrAbove[j - 1] += atOrAbove[j];
    for (let k = 0; k < I; k++) {
      const st = steps[k];
      let sum = x0[k] * n;
      for (let t = 0; t < st.length; t += 2) sum += st[t + 1] * atOrAbove[st[t]];
      sums[r * I + k] = sum;
    }
  }
}

/** k-th smallest of `a` (no NaN, no −0), partially reordering it (Hoare's selection). */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const x = a[lo];
    const y = a[(lo + hi) >>> 1];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/**
 * quantileSorted(sort(means), q) without sorting: quantileSorted reads only the order
 * statistics at ⌊(B − 1)q⌋ and ⌈(B − 1)q⌉, so those are selected and the lab's function
 * is called on an array of length B holding just them (`view`, reused).
 */
function quantileBySelection(means: Float64Array, q: number, view: number[]): number {
  const h = (means.length - 1) * q;
  view[Math.floor(h)] = select(means, Math.floor(h));
  view[Math.ceil(h)] = select(means, Math.ceil(h));
  return quantileSorted(view, q);
}

/**
 * How a sorted value set is summed: 'integer' (all |x| ≤ 2^20, so every resample sum is an
 * exact integer and the order of addition does not matter), 'with-negative-zero' (the lab's
 * mean() itself, because −0 and +0 tie in comparisons), or 'general' (in draw order).
 */
function kindOf(sorted: readonly number[]): 'integer' | 'with-negative-zero' | 'general' {
  if (sorted.some((x) => Object.is(x, -0))) return 'with-negative-zero';
  return sorted.length <= 2 ** 20 && sorted.every((x) => Number.isInteger(x) && Math.abs(x) <= 2 ** 20) ? 'integer' : 'general';
}

/** [j, x_j − x_{j−1}] for every j where a sorted integer set steps up, flattened. */
function valueSteps(sorted: readonly number[]): Int32Array {
  const out: number[] = [];
  for (let j = 1; j < sorted.length; j++) if (sorted[j] !== sorted[j - 1]) out.push(j, sorted[j] - sorted[j - 1]);
  return Int32Array.from(out);
}

/** Draws per chunk: resamples are drawn and summed a chunk at a time (long loops, bounded memory). */
const CHUNK_DRAWS = 1 << 16;

/**
 * meanWithBootstrapCI(values, { seed }) with default resamples and level, for several value
 * sets of the same length at once (they share the resample indices).
 */
export function bootstrapSharedDraws(valueSets: readonly (readonly number[])[], seed: number): MeanCI[] {
  if (valueSets.length === 0) return [];
  const n = valueSets[0].length;
  if (n === 0 || valueSets.some((v) => v.length !== n)) throw new Error('bootstrapSharedDraws: value sets must be non-empty and of equal length');
  const sorted = valueSets.map((v) => [...v].sort((a, b) => a - b));
  const means = sorted.map((s) => mean(s));
  if (n === 1) return means.map((m) => ({ mean: m, lo: m, hi: m, n }));

  const B = RECOMPUTE_RESAMPLES;
  const kinds = sorted.map(kindOf);
  const ofKind = (kind: string): number[] => kinds.flatMap((k, s) => (k === kind ? [s] : []));
  const general = ofKind('general');
  const integer = ofKind('integer');
  const odd = ofKind('with-negative-zero');
  const interleaved = new Float64Array(n * general.length);
  general.forEach((s, g) => sorted[s].forEach((x, j) => (interleaved[j * general.length + g] = x)));
  const x0 = Float64Array.from(integer, (s) => sorted[s][0]);
  const steps = integer.map((s) => valueSteps(sorted[s]));

  const perChunk = Math.max(1, Math.min(B, Math.floor(CHUNK_DRAWS / n)));
  const draws = new IndexStream(deriveSeed(seed, 'bootstrap'), n);
  const indexBuffer = new Int32Array(perChunk * n);
  const ext = new Int32Array(2 * perChunk);
  const generalSums = new Float64Array(perChunk * general.length);
  const integerSumsOut = new Float64Array(perChunk * integer.length);
  const atOrAbove = new Int32Array(n);
  const boot = sorted.map(() => new Float64Array(B));
  const sample = new Array<number>(n);
  for (let b0 = 0; b0 < B; b0 += perChunk) {
    const count = Math.min(perChunk, B - b0);
    const index = indexBuffer.subarray(0, count * n);
    draws.fill(index);
    if (general.length + odd.length > 0) drawnExtremes(index, n, count, ext);
    if (general.length > 0) drawnSums(interleaved, general.length, index, n, count, generalSums);
    if (integer.length > 0) integerSums(index, n, count, x0, steps, atOrAbove, integerSumsOut);
    // Integer sets: the exact sum divided by n (correctly rounded) cannot leave [min, max], so
    // mean()'s clamp changes nothing.
    integer.forEach((s, k) => {
      const out = boot[s];
      for (let r = 0; r < count; r++) out[b0 + r] = integerSumsOut[r * integer.length + k] / n;
    });
    general.forEach((s, g) => {
      const xs = sorted[s];
      const out = boot[s];
      for (let r = 0; r < count; r++) {
        const sum = generalSums[r * general.length + g];
        let m = sum / n;
        if (!Number.isFinite(sum)) {
          m = 0;
          for (let i = 0; i < n; i++) m += xs[index[r * n + i]] / n;
        }
        // Sorted values without −0: the smallest and largest drawn value are those at the
        // smallest and largest drawn index; mean() clamps to them.
        out[b0 + r] = Math.min(Math.max(m, xs[ext[2 * r]]), xs[ext[2 * r + 1]]);
      }
    });
    for (const s of odd) {
      for (let r = 0; r < count; r++) {
        for (let i = 0; i < n; i++) sample[i] = sorted[s][index[r * n + i]];
        boot[s][b0 + r] = mean(sample);
      }
    }
  }
  const alpha = 1 - DEFAULT_LEVEL;
  const view = new Array<number>(B); // holds only the order statistics quantileSorted reads
  return boot.map((bootMeans, s) => {
    let lo: number;
    let hi: number;
    if (bootMeans.some((x) => Object.is(x, -0))) {
      // (a, b) => a − b keeps −0 and +0 in draw order, a selection would not.
      const ordered = Array.from(bootMeans).sort((a, b) => a - b);
      lo = quantileSorted(ordered, alpha / 2);
      hi = quantileSorted(ordered, 1 - alpha / 2);
    } else {
      lo = quantileBySelection(bootMeans, alpha / 2, view);
      hi = quantileBySelection(bootMeans, 1 - alpha / 2, view);
    }
    const m = means[s];
    return { mean: m, lo: Math.min(lo, m), hi: Math.max(hi, m), n };
  });
}

/**
 * Metrics whose per-item values a link stores exactly (edit distances below their cap of 255):
 * their aggregates can be recomputed bit for bit. The log-prob metrics are stored quantized,
 * so recomputing them gives only an estimate, close enough to store the sender's value as a
 * small residual (TAG_NEAR64).
 */
export const EXACT_ITEM_METRICS: readonly GenerationMetricId[] = ['exact_match', 'greedy_consistency', 'token_edit_distance', 'char_edit_distance', 'digit_accuracy'];

/** Metrics whose per-item values hit a cap at this value ("255 or more"): a cell with one is not recomputed. */
export const CAPPED_AT: Partial<Record<GenerationMetricId, number>> = { token_edit_distance: SMALL_INT_MAX, char_edit_distance: SMALL_INT_MAX };

/**
 * The order in which an encoder spends the decoder's recomputation budget: metrics whose
 * stored aggregates cost the most bytes first (digit accuracy and log-prob means are rarely
 * short fractions; exact-match rates usually are).
 */
export const RECOMPUTE_PRIORITY: readonly GenerationMetricId[] = [
  'digit_accuracy',
  'target_logprob',
  'mean_token_logprob',
  'per_token_prob',
  'predicted_exact_match',
  'token_edit_distance',
  'char_edit_distance',
  'exact_match',
  'greedy_consistency',
];

export function isGenerationMetric(id: string): id is GenerationMetricId {
  return (GENERATION_METRIC_IDS as readonly string[]).includes(id);
}

/** One model's items grouped by variant, in item order. */
export function itemsByVariant(items: readonly { variant: string; metrics: ItemMetrics }[]): Map<string, ItemMetrics[]> {
  const out = new Map<string, ItemMetrics[]>();
  for (const item of items) {
    let list = out.get(item.variant);
    if (!list) out.set(item.variant, (list = []));
    list.push(item.metrics);
  }
  return out;
}

/** Values of one metric over a variant's items, nulls left out (as aggregateItems does). */
export function cellValues(items: readonly ItemMetrics[] | undefined, metric: GenerationMetricId): number[] {
  const out: number[] = [];
  for (const m of items ?? []) {
    const x = m[metric];
    if (x !== null) out.push(x);
  }
  return out;
}

export interface RecomputeCell {
  variant: string;
  metric: string;
  values: readonly number[];
}

const groupKey = (c: { variant: string; metric: string }, n: number): string => `${c.variant}\u0000${c.metric}\u0000${n}`;

/**
 * Cost of recomputing cells, in draws and additions: each group of cells with one variant,
 * metric and n draws n·B indices once, and each cell adds n·B values. A decoder refuses a
 * link whose recomputation would cost more than MAX_RECOMPUTE_WORK (limits.ts).
 */
export function recomputeWork(cells: readonly { variant: string; metric: string; n: number }[]): number {
  const tally = new WorkTally();
  for (const c of cells) tally.add(c);
  return tally.work;
}

/** recomputeWork, one cell at a time. */
export class WorkTally {
  private readonly groups = new Set<string>();
  work = 0;

  /** The work with this cell added (without adding it). */
  peek(c: { variant: string; metric: string; n: number }): number {
    if (c.n < 2) return this.work + c.n;
    return this.work + c.n + c.n * RECOMPUTE_RESAMPLES + (this.groups.has(groupKey(c, c.n)) ? 0 : c.n * RECOMPUTE_RESAMPLES);
  }

  add(c: { variant: string; metric: string; n: number }): void {
    this.work = this.peek(c);
    if (c.n >= 2) this.groups.add(groupKey(c, c.n));
  }
}

/**
 * Mean and interval of each cell (same order), as aggregateModelItems computes them with
 * `bootstrapSeed`: cell seed deriveSeed(bootstrapSeed, variant, metric).
 */
export function recomputeCells(cells: readonly RecomputeCell[], bootstrapSeed: number): MeanCI[] {
  const groups = new Map<string, number[]>();
  cells.forEach((c, i) => {
    if (c.values.length === 0) throw new PayloadError('a recomputed number has no items to be computed from');
    const key = groupKey(c, c.values.length);
    const members = groups.get(key);
    if (members) members.push(i);
    else groups.set(key, [i]);
  });
  const out = new Array<MeanCI>(cells.length);
  for (const members of groups.values()) {
    const { variant, metric } = cells[members[0]];
    const results = bootstrapSharedDraws(
      members.map((i) => cells[i].values),
      deriveSeed(bootstrapSeed, variant, metric),
    );
    members.forEach((i, k) => (out[i] = results[k]));
  }
  return out;
}

/**
 * Link format r3: each cell as aggregateModelItems computes it with the standard intervals
 * (Wilson for 0/1 metrics, BCa ∪ t for the others), cell seed deriveSeed(bootstrapSeed, model,
 * variant, metric): the lab's own aggregateItems on the cell's values, so there is nothing to
 * replay by hand. Models resample independently, so no draws are shared.
 */
export function recomputeStandardCells(cells: readonly (RecomputeCell & { model: string })[], bootstrapSeed: number): MeanCI[] {
  return cells.map((c) => {
    if (c.values.length === 0) throw new PayloadError('a recomputed number has no items to be computed from');
    const table = aggregateItems(
      c.values.map((x) => ({ variant: c.variant, metrics: { [c.metric]: x } })),
      [c.metric],
      bootstrapSeed,
      { model: c.model, intervals: 'standard' },
    );
    return table[c.variant][c.metric];
  });
}

/**
 * recomputeWork for r3 cells: Wilson cells cost n (a count); bootstrap cells n·B draws and n·B
 * additions each (no draws are shared between models).
 */
export function standardRecomputeWork(cells: readonly { metric: string; n: number }[]): number {
  let work = 0;
  for (const c of cells) work += intervalMethodFor(c.metric) === 'wilson' || c.n < 2 ? c.n : c.n + 2 * c.n * RECOMPUTE_RESAMPLES;
  return work;
}
